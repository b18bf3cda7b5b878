"""CloudTrail's scheduled work, in the order it depends on: log files, then the digests that list them,
then the resource index for lookups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strongroom.services.cloudtrail import delivery, digests, resource_index
from strongroom.services.cloudtrail.plugin import service

if TYPE_CHECKING:
    from strongroom.runtime import Runtime


@service.task("deliver")
def deliver(runtime: Runtime) -> None:
    delivery.deliver_log_files(runtime)
    digests.deliver_digest_files(runtime)


@service.task("index-event-resources")
def index_event_resources(runtime: Runtime) -> None:
    resource_index.index_events(runtime)
