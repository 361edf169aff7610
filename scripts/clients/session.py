#!/usr/bin/env python3
"""A team's test session with boto3, many cognito-idp operations in a row: create a
pool and an app client, create a user, set its password, sign in, read it, list
pools and users, forget a device, delete the user and the pool.

Usage: .venv/bin/python scripts/clients/session.py --endpoint URL --transcript FILE

Run once through `tapedeck record` in front of an emulator and once against
`tapedeck replay` of what was recorded (tests/it/session_roundtrip.rs): the two
transcripts must be the same. The transcript is a JSON list, one entry per call:
the operation, the error code (or null) and the response without its
ResponseMetadata (request ids and dates differ between runs), account ids in ARNs
replaced by the placeholder tapedeck's redaction writes. It holds the session's
tokens: the caller must not print it. Retries are off, so each call is exactly one
request; the number of requests is printed on stdout as `requests: N`.
"""

import argparse
import datetime
import json
import os
import re
import sys

import boto3
import botocore.config
import botocore.exceptions

POOL = "tapedeck-session"
USER = "session-user"
TEMPORARY = "Tmp-Passw0rd!"
PERMANENT = "Perm-Passw0rd!2"
DEVICE = "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"
ARN_ACCOUNT = re.compile(r"(arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:)[0-9]{12}")


def plain(value):
    """The response as JSON: datetimes as text, ARN accounts as tapedeck writes them."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, str):
        return ARN_ACCOUNT.sub(r"\g<1>000000000000", value)
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--transcript", required=True)
    args = parser.parse_args()
    client = boto3.session.Session(
        aws_access_key_id="AKIDTAPEDECKSESSION",
        aws_secret_access_key="tapedeck-session-test-secret",
        region_name="us-east-1",
    ).client(
        "cognito-idp",
        endpoint_url=args.endpoint,
        config=botocore.config.Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=15,
        ),
    )
    transcript = []
    state = {}

    def call(operation, **params):
        method = getattr(client, re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower())
        try:
            response = method(**params)
            transcript.append({"operation": operation, "error": None, "response": plain(response)})
            return response
        except botocore.exceptions.ClientError as e:
            code = e.response.get("Error", {}).get("Code")
            transcript.append({"operation": operation, "error": code, "response": None})
            return None

    pool = call("CreateUserPool", PoolName=POOL)
    state["pool"] = pool["UserPool"]["Id"]
    app = call(
        "CreateUserPoolClient",
        UserPoolId=state["pool"],
        ClientName="session-app",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    state["client"] = app["UserPoolClient"]["ClientId"]
    call(
        "AdminCreateUser",
        UserPoolId=state["pool"],
        Username=USER,
        TemporaryPassword=TEMPORARY,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "session-user@example.com"}],
    )
    call("AdminSetUserPassword", UserPoolId=state["pool"], Username=USER, Password=PERMANENT, Permanent=True)
    call(
        "AdminInitiateAuth",
        UserPoolId=state["pool"],
        ClientId=state["client"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": USER, "PASSWORD": PERMANENT},
    )
    call("AdminGetUser", UserPoolId=state["pool"], Username=USER)
    call("ListUserPools", MaxResults=10)
    call("ListUsers", UserPoolId=state["pool"], Limit=10)
    call("AdminForgetDevice", UserPoolId=state["pool"], Username=USER, DeviceKey=DEVICE)
    call("AdminDeleteUser", UserPoolId=state["pool"], Username=USER)
    call("DeleteUserPool", UserPoolId=state["pool"])

    with open(args.transcript, "w") as f:
        json.dump(transcript, f, indent=1, sort_keys=True)
    print(f"requests: {len(transcript)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
