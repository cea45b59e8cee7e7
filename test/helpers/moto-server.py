"""moto_server with DynamoDB's atomicity.

DynamoDB applies each conditional write and each transaction atomically: of two racing conditional
writes on one item exactly one succeeds. moto_server answers requests on threads and does not lock
its DynamoDB backend, so two racing requests can both pass their condition. Here every DynamoDB write
runs alone (writes are short), reads and everything else as moto_server
runs it. Usage: python3 moto-server.py <host> <port>
"""

import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

DYNAMODB_LOCK = threading.Lock()
# The writes, whose conditions and transactions DynamoDB applies atomically; reads need no turn.
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def dynamodb_alone(app):
    def serve(environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB_") or target.split(".")[-1] not in WRITES:
            return app(environ, start_response)
        with DYNAMODB_LOCK:
            # The whole answer inside the lock: a WSGI app may do its work while the body is read.
            result = app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()

    return serve


if __name__ == "__main__":
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, dynamodb_alone(app), threaded=True)
