"""Whether CloudTrail records each served operation as `readOnly`, declared per operation.

The table follows what AWS's CloudTrail records, not what an operation's name suggests: KMS counts its
cryptographic operations (Encrypt, Decrypt, GenerateDataKey*, Sign, Verify, GenerateMac, ...) and
GetParametersForImport as reads (the CloudTrail examples of the KMS developer guide); STS's AssumeRole
and GetSessionToken hand out credentials without changing a resource and are recorded as reads too.
Encapsulate and Decapsulate have no published example yet: they follow KMS's rule for its other
cryptographic operations. Every operation a service serves must be in the table (registering one
that is not fails), so a new operation is a deliberate choice here.
"""

from __future__ import annotations

from collections.abc import Mapping

READ_ONLY: Mapping[str, Mapping[str, bool]] = {
    "sts": {
        "AssumeRole": True, "GetCallerIdentity": True, "GetSessionToken": True,
    },
    "iam": {
        "AddUserToGroup": False, "AttachGroupPolicy": False, "AttachRolePolicy": False, "AttachUserPolicy": False,
        "CreateAccessKey": False, "CreateGroup": False, "CreatePolicy": False, "CreatePolicyVersion": False,
        "CreateRole": False, "CreateUser": False, "DeleteAccessKey": False, "DeleteGroup": False,
        "DeleteGroupPolicy": False, "DeletePolicy": False, "DeletePolicyVersion": False, "DeleteRole": False,
        "DeleteRolePermissionsBoundary": False, "DeleteRolePolicy": False, "DeleteUser": False,
        "DeleteUserPermissionsBoundary": False, "DeleteUserPolicy": False, "DetachGroupPolicy": False,
        "DetachRolePolicy": False, "DetachUserPolicy": False, "GetAccessKeyLastUsed": True, "GetGroup": True,
        "GetGroupPolicy": True, "GetPolicy": True, "GetPolicyVersion": True, "GetRole": True, "GetRolePolicy": True,
        "GetUser": True, "GetUserPolicy": True, "ListAccessKeys": True, "ListAttachedGroupPolicies": True,
        "ListAttachedRolePolicies": True, "ListAttachedUserPolicies": True, "ListEntitiesForPolicy": True,
        "ListGroupPolicies": True, "ListGroups": True, "ListGroupsForUser": True, "ListPolicies": True,
        "ListPolicyTags": True, "ListPolicyVersions": True, "ListRolePolicies": True, "ListRoleTags": True,
        "ListRoles": True, "ListUserPolicies": True, "ListUserTags": True, "ListUsers": True, "PutGroupPolicy": False,
        "PutRolePermissionsBoundary": False, "PutRolePolicy": False, "PutUserPermissionsBoundary": False,
        "PutUserPolicy": False, "RemoveUserFromGroup": False, "SetDefaultPolicyVersion": False,
        "SimulateCustomPolicy": True, "SimulatePrincipalPolicy": True, "TagPolicy": False, "TagRole": False,
        "TagUser": False, "UntagPolicy": False, "UntagRole": False, "UntagUser": False, "UpdateAccessKey": False,
        "UpdateAssumeRolePolicy": False, "UpdateGroup": False, "UpdateRole": False, "UpdateRoleDescription": False,
        "UpdateUser": False,
    },
    "kms": {
        "CancelKeyDeletion": False, "ConnectCustomKeyStore": False, "CreateAlias": False,
        "CreateCustomKeyStore": False, "CreateGrant": False, "CreateKey": False, "Decapsulate": True, "Decrypt": True,
        "DeleteAlias": False, "DeleteCustomKeyStore": False, "DeleteImportedKeyMaterial": False,
        "DeriveSharedSecret": True, "DescribeCustomKeyStores": True, "DescribeKey": True, "DisableKey": False,
        "DisableKeyRotation": False, "DisconnectCustomKeyStore": False, "EnableKey": False,
        "EnableKeyRotation": False, "Encapsulate": True, "Encrypt": True, "GenerateDataKey": True,
        "GenerateDataKeyPair": True, "GenerateDataKeyPairWithoutPlaintext": True,
        "GenerateDataKeyWithoutPlaintext": True, "GenerateMac": True, "GenerateRandom": True, "GetKeyLastUsage": True,
        "GetKeyPolicy": True, "GetKeyRotationStatus": True, "GetParametersForImport": True, "GetPublicKey": True,
        "ImportKeyMaterial": False, "ListAliases": True, "ListGrants": True, "ListKeyPolicies": True,
        "ListKeyRotations": True, "ListKeys": True, "ListResourceTags": True, "ListRetirableGrants": True,
        "PutKeyPolicy": False, "ReEncrypt": True, "ReplicateKey": False, "RetireGrant": False, "RevokeGrant": False,
        "RotateKeyOnDemand": False, "ScheduleKeyDeletion": False, "Sign": True, "TagResource": False,
        "UntagResource": False, "UpdateAlias": False, "UpdateCustomKeyStore": False, "UpdateKeyDescription": False,
        "UpdatePrimaryRegion": False, "Verify": True, "VerifyMac": True,
    },
    "ssm": {
        "AddTagsToResource": False, "DeleteParameter": False, "DeleteParameters": False, "DescribeParameters": True,
        "GetParameter": True, "GetParameterHistory": True, "GetParameters": True, "GetParametersByPath": True,
        "LabelParameterVersion": False, "ListTagsForResource": True, "PutParameter": False,
        "RemoveTagsFromResource": False, "UnlabelParameterVersion": False,
    },
    "secretsmanager": {
        "AssociateCrossAccountReplica": False, "BatchGetSecretValue": True, "CancelRotateSecret": False,
        "CreateSecret": False, "DeleteResourcePolicy": False, "DeleteSecret": False, "DescribeSecret": True,
        "DisassociateCrossAccountReplica": False, "GetRandomPassword": True, "GetResourcePolicy": True,
        "GetSecretValue": True, "ListResourcePolicies": True, "ListSecretVersionIds": True, "ListSecrets": True,
        "PutResourcePolicy": False, "PutSecretValue": False, "RemoveRegionsFromReplication": False,
        "ReplicateSecretToRegions": False, "RestoreSecret": False, "RotateSecret": False,
        "StopReplicationToReplica": False, "TagResource": False, "UntagResource": False, "UpdateSecret": False,
        "UpdateSecretVersionStage": False, "ValidateResourcePolicy": True,
    },
    "events": {
        "CreateApiDestination": False, "CreateConnection": False, "CreateEventBus": False,
        "DeauthorizeConnection": False, "DeleteApiDestination": False, "DeleteConnection": False,
        "DeleteEventBus": False, "DeleteRule": False, "DescribeApiDestination": True, "DescribeConnection": True,
        "DescribeEventBus": True, "DescribeRule": True, "DisableRule": False, "EnableRule": False,
        "ListApiDestinations": True, "ListConnections": True, "ListEventBuses": True, "ListRuleNamesByTarget": True,
        "ListRules": True, "ListTagsForResource": True, "ListTargetsByRule": True, "PutEvents": False,
        "PutPermission": False, "PutRule": False, "PutTargets": False, "RemovePermission": False,
        "RemoveTargets": False, "TagResource": False, "TestEventPattern": True, "UntagResource": False,
        "UpdateApiDestination": False, "UpdateConnection": False, "UpdateEventBus": False,
    },
    "cloudtrail": {
        "AddTags": False, "CreateTrail": False, "DeleteTrail": False, "DescribeTrails": True,
        "GetEventSelectors": True, "GetTrail": True, "GetTrailStatus": True, "ListPublicKeys": True, "ListTags": True,
        "ListTrails": True, "LookupEvents": True, "PutEventSelectors": False, "RemoveTags": False,
        "StartLogging": False, "StopLogging": False, "UpdateTrail": False,
    },
}
