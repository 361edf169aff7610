#!/usr/bin/env python3
"""botocore's own parameter validator, as an oracle for tapedeck's validation.

Reads JSON lines {"operation": "ListUsers", "params": {...}} on stdin and
writes one JSON line per input: {"errors": [{"name": ..., "type": ...,
"required": ...}]}, the report of botocore.validate.ParamValidator for the
operation's input shape (what boto3 checks before it sends anything). The first
line written is {"botocore": version, "sha256": ...}: the version and the
sha256 of the cognito-idp model file botocore loaded, so the caller can check
it validates against the same model tapedeck embeds.

botocore checks required members, JSON types, and minimum lengths and values
only (maximums, patterns and enums are the service's business); see
tests/it/model_oracle.rs for how the two are compared.
"""
import hashlib
import json
import os
import sys

import botocore
import botocore.session
from botocore.validate import ParamValidator


def main():
    session = botocore.session.get_session()
    model = session.get_service_model("cognito-idp")
    path = os.path.join(
        os.path.dirname(botocore.__file__),
        "data", "cognito-idp", model.api_version, "service-2.json.gz",
    )
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    out = sys.stdout
    out.write(json.dumps({"botocore": botocore.__version__, "sha256": digest}) + "\n")
    validator = ParamValidator()
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        shape = model.operation_model(case["operation"]).input_shape
        report = validator.validate(case["params"], shape)
        errors = []
        for kind, name, details in report._errors:
            entry = {"name": name, "type": kind}
            if kind == "missing required field":
                entry["required"] = details["required_name"]
            errors.append(entry)
        out.write(json.dumps({"errors": errors}) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
