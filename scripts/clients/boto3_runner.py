#!/usr/bin/env python3
"""boto3 against `tapedeck replay --strict`: every fixture of a set through
`cognito-idp` AdminForgetDevice, with boto3's default retry configuration.

Usage: .venv/bin/python scripts/clients/boto3_runner.py [--bin target/debug/tapedeck]
           [--fixtures DIR]...
Prints one JSON line per fixture and per set (see common.py); exits 1 on a failure.
"""

import os
import sys

sys.dont_write_bytecode = True  # keep scripts/clients/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
import botocore  # noqa: E402
import botocore.config  # noqa: E402
import botocore.exceptions  # noqa: E402

import common  # noqa: E402


def call(url, params):
    # A fresh session per call: boto3 reads the endpoint, credentials and region from
    # the environment, as an application would. Only timeouts are set (to keep runs
    # bounded); the retry mode and attempts are botocore's defaults.
    for name in [k for k in os.environ if common.scrubbed(k)]:
        del os.environ[name]
    os.environ.update(common.client_env(url, base={}))
    client = boto3.session.Session().client(
        "cognito-idp", config=botocore.config.Config(connect_timeout=5, read_timeout=15))
    try:
        client.admin_forget_device(**params)
        return True, None, "success", "", False
    except botocore.exceptions.ClientError as e:
        code = e.response["Error"].get("Code")
        cls = type(e).__name__
        surfaced = cls if cls == code else f"{cls}[{code}]"
        return True, code, surfaced, e.response["Error"].get("Message", ""), False
    except botocore.exceptions.ParamValidationError as e:
        return False, None, "client-side: ParamValidationError", str(e).replace("\n", " "), False
    except (botocore.exceptions.HTTPClientError, botocore.exceptions.ConnectionError) as e:
        # No answer: a timeout, a refused or broken connection.
        return True, type(e).__name__, type(e).__name__, str(e), True
    except botocore.exceptions.BotoCoreError as e:
        # An answer botocore could not make sense of.
        return True, type(e).__name__, type(e).__name__, str(e), False


def versions():
    return {"boto3": boto3.__version__, "botocore": botocore.__version__,
            "retry_mode": "default"}


if __name__ == "__main__":
    sys.exit(common.run("boto3", call, describe_versions=versions))
