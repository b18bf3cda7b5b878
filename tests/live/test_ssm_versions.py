"""Versions and labels: GetParameterHistory, LabelParameterVersion, UnlabelParameterVersion, the 100-version rule."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from .helpers import error_of


def unique() -> str:
    return f"/versions-{uuid.uuid4().hex[:10]}/p"


def test_history_lists_every_version_with_labels(ssm):
    name = unique()
    ssm.put_parameter(Name=name, Value="one", Type="String", Description="first")
    ssm.put_parameter(Name=name, Value="two", Overwrite=True)
    ssm.put_parameter(Name=name, Value="three", Overwrite=True, Description="third")
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["blue"])
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    # Every version lists its labels, an unlabelled one as [] (as AWS answers).
    assert [(h["Version"], h["Value"], h.get("Description"), h["Labels"]) for h in history] == [
        (1, "one", "first", []), (2, "two", "first", ["blue"]), (3, "three", "third", []),
    ]
    assert all(h["Name"] == name and h["Tier"] == "Standard" and h["Policies"] == [] for h in history)
    pages = list(ssm.get_paginator("get_parameter_history").paginate(Name=name, PaginationConfig={"PageSize": 2}))
    assert [len(page["Parameters"]) for page in pages] == [2, 1]
    with pytest.raises(ClientError) as raised:
        ssm.get_parameter_history(Name=unique())
    assert error_of(raised)[0] == "ParameterNotFound"


def test_labels_select_move_and_come_off(ssm):
    name = unique()
    for value in ("a", "b", "c"):
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=value != "a")
    result = ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["prod", "1bad", "awsx", "ok.label"])
    assert result == {"InvalidLabels": ["1bad", "awsx"], "ParameterVersion": 1,
                      "ResponseMetadata": result["ResponseMetadata"]}
    got = ssm.get_parameter(Name=f"{name}:prod")["Parameter"]
    assert (got["Value"], got["Version"], got["Selector"]) == ("a", 1, ":prod")
    # Labelling another version moves the label; without a version, the latest is labelled.
    assert ssm.label_parameter_version(Name=name, Labels=["prod"])["ParameterVersion"] == 3
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "c"
    labels = {h["Version"]: h.get("Labels", []) for h in ssm.get_parameter_history(Name=name)["Parameters"]}
    assert labels == {1: ["ok.label"], 2: [], 3: ["prod"]}
    removed = ssm.unlabel_parameter_version(Name=name, ParameterVersion=3, Labels=["prod", "ok.label"])
    assert (removed["RemovedLabels"], removed["InvalidLabels"]) == (["prod"], ["ok.label"])
    with pytest.raises(ClientError) as raised:
        ssm.get_parameter(Name=f"{name}:prod")
    assert error_of(raised)[0] == "ParameterVersionNotFound"
    with pytest.raises(ClientError) as raised:
        ssm.label_parameter_version(Name=name, ParameterVersion=9, Labels=["x"])
    assert error_of(raised) == (
        "ParameterVersionNotFound",
        f"Systems Manager could not find version 9 of {name}. Verify the version and try again.",
    )
    with pytest.raises(ClientError) as raised:
        ssm.label_parameter_version(Name=unique(), Labels=["x"])
    assert error_of(raised)[0] == "ParameterNotFound"


def test_a_version_holds_at_most_ten_labels(ssm):
    name = unique()
    ssm.put_parameter(Name=name, Value="v", Type="String")
    ssm.label_parameter_version(Name=name, Labels=[f"l{i}" for i in range(10)])
    with pytest.raises(ClientError) as raised:
        ssm.label_parameter_version(Name=name, Labels=["eleventh"])
    assert error_of(raised) == (
        "ParameterVersionLabelLimitExceeded", "A parameter version can have a maximum of ten labels.",
    )


def test_one_hundred_versions_are_kept_unless_the_oldest_is_labelled(ssm):
    name = unique()
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    for number in range(2, 101):
        ssm.put_parameter(Name=name, Value=f"v{number}", Overwrite=True)
    assert ssm.put_parameter(Name=name, Value="v101", Overwrite=True)["Version"] == 101
    history = list(ssm.get_paginator("get_parameter_history").paginate(Name=name))
    versions = [h["Version"] for page in history for h in page["Parameters"]]
    assert versions == list(range(2, 102))
    with pytest.raises(ClientError) as raised:
        ssm.get_parameter(Name=f"{name}:1")
    assert error_of(raised)[0] == "ParameterVersionNotFound"
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["keep"])
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=name, Value="v102", Overwrite=True)
    assert error_of(raised) == (
        "ParameterMaxVersionLimitExceeded",
        f"You attempted to create a new version of {name} by calling the PutParameter API with the overwrite flag. "
        "Version 2, the oldest version, can't be deleted because it has a label associated with it. Move the label "
        "to another version of the parameter, and try again.",
    )
    ssm.label_parameter_version(Name=name, ParameterVersion=50, Labels=["keep"])
    assert ssm.put_parameter(Name=name, Value="v102", Overwrite=True)["Version"] == 102
