"""One request through the route, as the API handler runs in Lambda.

Run as a script in a fresh interpreter (the app wires its invokers once per
process) with ``AWS_LAMBDA_FUNCTION_NAME`` set, so the route takes the boto3
path of plain ``chalice deploy``: ``python -m tests.support.route_in_lambda
PATH [INVOCATION_TYPE]``. Prints the status and body as JSON.
"""

from __future__ import annotations

import json
import sys

from chalice.test import Client

from app import app

if __name__ == "__main__":
    with Client(app) as client:
        headers = {"InvocationType": sys.argv[2]} if len(sys.argv) > 2 else {}
        answer = client.http.get(sys.argv[1], headers=headers)
    print(json.dumps({"status": answer.status_code, "body": json.loads(answer.body)}))
