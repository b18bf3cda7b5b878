"""AWS CloudTrail: event history (LookupEvents), trails with event selectors and tags, log files
delivered to the trail's bucket folder, and signed hourly digests for log file integrity validation.

Importing the operation modules registers their handlers and tasks on the plugin.
"""

from __future__ import annotations

from strongroom.services.cloudtrail import lookup, selectors, signing_keys, tags, tasks, trails
from strongroom.services.cloudtrail.plugin import service

__all__ = ["lookup", "selectors", "service", "signing_keys", "tags", "tasks", "trails"]
