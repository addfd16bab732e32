#!/usr/bin/env python3
"""Known-good EKS bearer tokens computed by an independent implementation: botocore (installed with moto).

The same call `aws eks get-token` makes: a presigned STS GetCallerIdentity URL (GET, X-Amz-Expires=60) whose signed
headers include `x-k8s-aws-id: <cluster>`, then "k8s-aws-v1." + base64url without padding. Fixed credentials and
time, so the output is stable. Regenerate with:

    python3 test/deploy/adapters/vectors/eks-token.py > test/deploy/adapters/vectors/eks-token.json
"""
import base64
import datetime
import json
from unittest import mock

import botocore
import botocore.auth
from botocore.credentials import Credentials
from botocore.hooks import HierarchicalEmitter
from botocore.model import ServiceId
from botocore.signers import RequestSigner

CASES = [
    {"cluster": "platform-dev", "region": "eu-west-1", "time": "2026-11-26T10:00:00Z", "session_token": "session/token+with=chars"},
    {"cluster": "platform-prod", "region": "eu-central-1", "time": "2026-12-01T23:59:59Z", "session_token": None},
]
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def token(case):
    credentials = Credentials(ACCESS_KEY, SECRET_KEY, case["session_token"])
    emitter = HierarchicalEmitter()  # kept referenced: the signer holds it weakly
    signer = RequestSigner(ServiceId("sts"), case["region"], "sts", "v4", credentials, emitter)
    host = f"sts.{case['region']}.amazonaws.com"
    request = {
        "method": "GET",
        "url": f"https://{host}/?Action=GetCallerIdentity&Version=2011-06-15",
        "body": {},
        "headers": {"x-k8s-aws-id": case["cluster"]},
        "context": {},
    }
    now = datetime.datetime.strptime(case["time"], "%Y-%m-%dT%H:%M:%SZ")
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=now):
        url = signer.generate_presigned_url(request, region_name=case["region"], expires_in=60, operation_name="")
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


print(json.dumps({
    "generator": f"botocore {botocore.__version__} RequestSigner.generate_presigned_url (test/deploy/adapters/vectors/eks-token.py)",
    "accessKeyId": ACCESS_KEY,
    "secretAccessKey": SECRET_KEY,
    "cases": [{**case, "token": token(case)} for case in CASES],
}, indent=2))
