#!/usr/bin/env python3
"""A team's test session with boto3, many cognito-idp operations in a row: create a
pool and an app client, create two users with e-mail addresses, set the first
one's password, sign in, read both, list pools and users, forget a device,
delete the first user and read it again (it is gone), delete the second user
and the pool.

Usage: .venv/bin/python scripts/clients/session.py --endpoint URL --transcript FILE
       [--names FIRST,SECOND]

Run once through `tapedeck record` in front of an emulator and then against
`tapedeck replay` of what was recorded (tests/it/session_roundtrip.rs): the
transcripts must agree, call by call. `--names` picks the two usernames (the
e-mail addresses are `<name>@example.com`), so that a replay can run with
other users than the recording. The transcript is a JSON list, one entry per call:
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
    parser.add_argument("--names", default="session-user,session-user-2")
    args = parser.parse_args()
    first, second = args.names.split(",")
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
    for name in (first, second):
        call(
            "AdminCreateUser",
            UserPoolId=state["pool"],
            Username=name,
            TemporaryPassword=TEMPORARY,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": f"{name}@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
    call("AdminSetUserPassword", UserPoolId=state["pool"], Username=first, Password=PERMANENT, Permanent=True)
    call(
        "AdminInitiateAuth",
        UserPoolId=state["pool"],
        ClientId=state["client"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": first, "PASSWORD": PERMANENT},
    )
    call("AdminGetUser", UserPoolId=state["pool"], Username=second)
    call("AdminGetUser", UserPoolId=state["pool"], Username=first)
    call("ListUserPools", MaxResults=10)
    call("ListUsers", UserPoolId=state["pool"], Limit=10)
    call("AdminForgetDevice", UserPoolId=state["pool"], Username=first, DeviceKey=DEVICE)
    call("AdminDeleteUser", UserPoolId=state["pool"], Username=first)
    call("AdminGetUser", UserPoolId=state["pool"], Username=first)
    call("AdminDeleteUser", UserPoolId=state["pool"], Username=second)
    call("DeleteUserPool", UserPoolId=state["pool"])

    with open(args.transcript, "w") as f:
        json.dump(transcript, f, indent=1, sort_keys=True)
    print(f"requests: {len(transcript)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
