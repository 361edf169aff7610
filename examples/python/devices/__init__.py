"""The application under test: forgets a user's remembered device with plain boto3.

Nothing here knows about tapedeck. The endpoint comes from the environment
(`AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`), as it would in a deployment.
"""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError


def forget_device(user_pool_id: str, username: str, device_key: str) -> str:
    """Forgets the device; returns "forgotten", or the error code.

    Errors are swallowed on purpose, as a sign-out flow does: it must not fail
    because a device is already gone. So a test sees no exception when the call
    goes wrong; tapedeck still does.
    """
    client = boto3.client("cognito-idp")
    try:
        client.admin_forget_device(UserPoolId=user_pool_id, Username=username, DeviceKey=device_key)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return "forgotten"
