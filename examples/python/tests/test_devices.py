"""Contract tests of the example application against tapedeck's reference contract.

The `tapedeck` fixture points boto3 at a replay server for each test, with the
sequences rewound, and fails the test if any request broke the contract.
"""

import pytest

from devices import forget_device

POOL = "us-east-1_TapeDeck1"
DEVICE = "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"


def test_forgetting_a_remembered_device_twice(tapedeck):
    assert forget_device(POOL, "tapedeck-user", DEVICE) == "forgotten"
    assert forget_device(POOL, "tapedeck-user", DEVICE) == "ResourceNotFoundException"


def test_the_next_test_starts_the_sequence_afresh(tapedeck):
    # The same two calls as the test before: each test rewinds the sequences.
    assert forget_device(POOL, "tapedeck-user", DEVICE) == "forgotten"
    assert forget_device(POOL, "tapedeck-user", DEVICE) == "ResourceNotFoundException"
    assert [e["fixture"] for e in tapedeck.journal()["entries"]] == [
        "forget-remembered-device",
        "device-already-forgotten",
    ]


def test_an_unknown_user(tapedeck):
    assert forget_device(POOL, "tapedeck-ghost", DEVICE) == "UserNotFoundException"


@pytest.mark.parametrize(
    ("pool", "device", "code"),
    [
        ("us-east-1_NoSuchPool", DEVICE, "ResourceNotFoundException"),
        (POOL, "us-east-1_ffffffff-ffff-4fff-bfff-ffffffffffff", "ResourceNotFoundException"),
        (POOL, "not-a-device-key", "InvalidParameterException"),
    ],
)
def test_each_recorded_error(tapedeck, pool, device, code):
    username = "tapedeck-user"
    assert forget_device(pool, username, device) == code


@pytest.mark.tapedeck(sequence_end="error", strict=False)
def test_a_used_up_sequence_with_the_marker(tapedeck):
    assert forget_device(POOL, "tapedeck-user", DEVICE) == "forgotten"
    assert forget_device(POOL, "tapedeck-user", DEVICE) == "ResourceNotFoundException"
    # With sequence_end="error", a third identical request is off the contract.
    assert forget_device(POOL, "tapedeck-user", DEVICE) == "TapedeckSequenceExhausted"
    assert tapedeck.readable().problems == 1
