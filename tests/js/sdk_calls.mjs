// The AWS SDK for JavaScript v3, unchanged, against a Strongroom endpoint: each check's outcome is printed
// as one JSON object for tests/live/test_javascript_sdk.py to assert on (this script asserts nothing).
// Environment: STRONGROOM_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; RUN_ID names what it creates.

import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import {
  CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand,
  InvalidCiphertextException, KMSClient, NotFoundException, SignCommand, VerifyCommand,
} from "@aws-sdk/client-kms";
import {
  CreateSecretCommand, GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  GetParametersByPathCommand, GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient,
} from "@aws-sdk/client-ssm";

const config = {
  endpoint: process.env.STRONGROOM_ENDPOINT,
  region: "us-east-1",
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY },
  maxAttempts: 1,
};
const run = process.env.RUN_ID;
const kms = new KMSClient(config);
const ssm = new SSMClient(config);
const secrets = new SecretsManagerClient(config);
const cloudtrail = new CloudTrailClient(config);
const text = new TextEncoder();
const results = {};

// The SDK's typed error class a call fails with, by name (and whether it is that class), or "no error".
async function failure(promise, errorClass) {
  try {
    await promise;
    return { name: "no error" };
  } catch (error) {
    return { name: error.name, typed: error instanceof errorClass, status: error.$metadata?.httpStatusCode };
  }
}

const key = (await kms.send(new CreateKeyCommand({ Description: `js ${run}` }))).KeyMetadata;
const sealed = await kms.send(new EncryptCommand({
  KeyId: key.KeyId, Plaintext: text.encode("from javascript"), EncryptionContext: { run },
}));
const opened = await kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { run } }));
const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: key.Arn, KeySpec: "AES_256" }));
const signingKey = (await kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }))).KeyMetadata;
const signature = await kms.send(new SignCommand({
  KeyId: signingKey.KeyId, Message: text.encode("signed"), SigningAlgorithm: "ECDSA_SHA_256",
}));
const verified = await kms.send(new VerifyCommand({
  KeyId: signingKey.KeyId, Message: text.encode("signed"), Signature: signature.Signature, SigningAlgorithm: "ECDSA_SHA_256",
}));
results.kms = {
  keyId: key.KeyId,
  decrypted: new TextDecoder().decode(opened.Plaintext),
  decryptedKeyId: opened.KeyId,
  dataKeyLengths: [dataKey.Plaintext.length, dataKey.CiphertextBlob.length > 0],
  signatureValid: verified.SignatureValid,
  badCiphertext: await failure(kms.send(new DecryptCommand({ CiphertextBlob: text.encode("not a ciphertext at all") })),
    InvalidCiphertextException),
  missingKey: await failure(kms.send(new DescribeKeyCommand({ KeyId: "alias/js-missing" })), NotFoundException),
};

const path = `/js/${run}`;
await ssm.send(new PutParameterCommand({ Name: `${path}/plain`, Value: "p", Type: "String" }));
await ssm.send(new PutParameterCommand({ Name: `${path}/secure`, Value: "s3cret", Type: "SecureString" }));
const byPath = await ssm.send(new GetParametersByPathCommand({ Path: path, WithDecryption: true }));
results.ssm = {
  byPath: byPath.Parameters.map((p) => [p.Name, p.Type, p.Value]).sort(),
  missing: await failure(ssm.send(new GetParameterCommand({ Name: `${path}/missing` })), ParameterNotFound),
};

const secret = await secrets.send(new CreateSecretCommand({ Name: `js/${run}`, SecretString: "shh" }));
const value = await secrets.send(new GetSecretValueCommand({ SecretId: secret.ARN }));
results.secretsmanager = {
  value: value.SecretString,
  stages: value.VersionStages,
  missing: await failure(secrets.send(new GetSecretValueCommand({ SecretId: `js/${run}/missing` })),
    ResourceNotFoundException),
};

// The SDK sends X-Amz-Target: CloudTrail_20131101.LookupEvents (botocore sends the long form).
const events = await cloudtrail.send(new LookupEventsCommand({
  LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: key.KeyId }],
}));
results.cloudtrail = { eventNames: events.Events.map((event) => event.EventName) };

console.log(JSON.stringify(results));
