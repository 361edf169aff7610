#!/usr/bin/env python3
"""Creates an IAM identity in a freshly started moto server that checks SigV4.

Usage: moto_bootstrap.py URL [--out FILE]

scripts/moto.sh starts moto 5.2.5 with INITIAL_NO_AUTH_ACTION_COUNT=3: the first
three requests that reach a service (counted across *all* services; moto's own
/moto-api/ routes are not counted) skip authentication, every later one has its
SigV4 signature recomputed and its IAM policy checked. This script spends exactly
that allowance, with any key (`testing`/`testing`) and retries off so that a
retried request cannot eat into it:

    1. iam:CreateUser       tapedeck-recorder
    2. iam:PutUserPolicy    inline policy allowing "*" on "*"
    3. iam:CreateAccessKey  -> an AKIA... key that moto now accepts

ALLOWANCE below must equal the number of requests above; moto.sh reads it from
here (`moto_bootstrap.py --allowance`), so the two cannot drift apart.

Then it checks, at no cost (moto stops counting once the allowance is used up),
that the server really verifies now: the new key passes (sts:GetCallerIdentity)
and the bootstrap key `testing` is refused.

The key is written to FILE (default target/moto/credentials.env, mode 0600) as
AWS_ACCESS_KEY_ID=... and AWS_SECRET_ACCESS_KEY=... lines. These are moto's fake
credentials for a local emulator, never real AWS ones; even so the secret is
never printed.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

#: Requests this script sends before moto starts verifying signatures.
ALLOWANCE = 3
USER = "tapedeck-recorder"
REGION = "us-east-1"
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "target" / "moto" / "credentials.env"


def client(service, url, key_id, secret):
    """A client that sends each call exactly once (no retries)."""
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
    )
    return boto3.session.Session(
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        region_name=REGION,
    ).client(service, endpoint_url=url, config=config)


def write_env(path, key_id, secret):
    """Writes the credentials atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".credentials-", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def bootstrap(url, out):
    iam = client("iam", url, "testing", "testing")
    iam.create_user(UserName=USER)  # allowance 1/3
    iam.put_user_policy(  # allowance 2/3
        UserName=USER, PolicyName="allow-all", PolicyDocument=json.dumps(ALLOW_ALL)
    )
    key = iam.create_access_key(UserName=USER)["AccessKey"]  # allowance 3/3
    key_id, secret = key["AccessKeyId"], key["SecretAccessKey"]

    # From here on moto verifies every request (and no longer counts them).
    who = client("sts", url, key_id, secret).get_caller_identity()
    if not who["Arn"].endswith(f":user/{USER}"):
        sys.exit(f"moto bootstrap: the new key authenticates as {who['Arn']}, not {USER}")
    try:
        client("sts", url, "testing", "testing").get_caller_identity()
    except ClientError as e:
        code = e.response["Error"]["Code"]
        if code != "InvalidClientTokenId":
            sys.exit(f"moto bootstrap: expected InvalidClientTokenId for an unknown key, got {code}")
    else:
        sys.exit(
            "moto bootstrap: moto still accepts an unknown key after the allowance; "
            f"was it started with INITIAL_NO_AUTH_ACTION_COUNT={ALLOWANCE}?"
        )
    write_env(out, key_id, secret)
    print(f"moto bootstrap: IAM user {USER}, access key {key_id[:4]}… written to {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", help="moto's URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="credentials file to write")
    parser.add_argument(
        "--allowance", action="store_true", help="print the number of unauthenticated requests needed"
    )
    args = parser.parse_args()
    if args.allowance:
        print(ALLOWANCE)
        return
    if not args.url:
        parser.error("the moto URL is required")
    bootstrap(args.url.rstrip("/"), args.out)


if __name__ == "__main__":
    main()
