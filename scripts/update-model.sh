#!/usr/bin/env bash
# Refreshes the vendored cognito-idp service model (models/cognito-idp/) from a
# pinned botocore release on PyPI: downloads the wheel (pip download --no-deps),
# extracts botocore/data/cognito-idp/2016-04-18/service-2.json.gz unchanged, and
# copies the wheel's LICENSE.txt (Apache-2.0) and NOTICE beside it, and
# rewrites models/cognito-idp/SOURCE.json with the version, the wheel's file name
# and the sha256 of the model file. The Rust build derives what it embeds from
# that file (build.rs), so nothing else needs regenerating.
#
#   scripts/update-model.sh            # the version pinned below
#   scripts/update-model.sh 1.44.9     # another botocore version
#
# Keep BOTOCORE in step with scripts/requirements.txt (the tests' oracle,
# tests/it/model_oracle.rs, runs botocore from there against this model).
set -euo pipefail
cd "$(dirname "$0")/.."
BOTOCORE=${1:-1.44.8}
python=${PYTHON:-python3}
dest=models/cognito-idp
member=botocore/data/cognito-idp/2016-04-18/service-2.json.gz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -m pip download --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: --dest "$work" "botocore==$BOTOCORE"
wheel=$(ls "$work"/botocore-*.whl)
"$python" - "$wheel" "$member" "$dest" "$BOTOCORE" <<'PY'
import gzip, hashlib, json, pathlib, sys, zipfile
wheel, member, dest, version = sys.argv[1:]
dest = pathlib.Path(dest)
with zipfile.ZipFile(wheel) as z:
    data = z.read(member)
    info = f"botocore-{version}.dist-info"
    license_text = z.read(f"{info}/LICENSE.txt")
    notice = z.read(f"{info}/NOTICE")
model = json.loads(gzip.decompress(data))
meta = model["metadata"]
assert meta["protocol"] == "json", meta
assert meta["targetPrefix"] == "AWSCognitoIdentityProviderService", meta
(dest / "service-2.json.gz").write_bytes(data)
(dest / "LICENSE.txt").write_bytes(license_text)
(dest / "NOTICE").write_bytes(notice)
source = {
    "file": "service-2.json.gz",
    "source": f"https://pypi.org/project/botocore/{version}/",
    "package": "botocore",
    "version": version,
    "wheel": pathlib.Path(wheel).name,
    "member": member,
    "sha256": hashlib.sha256(data).hexdigest(),
    "api_version": meta["apiVersion"],
    "license": "Apache-2.0",
    "operations": len(model["operations"]),
    "shapes": len(model["shapes"]),
}
(dest / "SOURCE.json").write_text(json.dumps(source, indent=2) + "\n")
print(f"update-model: botocore {version}: {source['operations']} operations, "
      f"{source['shapes']} shapes, sha256 {source['sha256']}")
PY
