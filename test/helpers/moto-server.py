"""moto_server with DynamoDB's atomicity.

DynamoDB applies each conditional write and each transaction atomically: of two racing conditional
writes on one item exactly one succeeds. moto_server answers requests on threads and does not lock
its DynamoDB backend, so two racing requests can both pass their condition. Here every DynamoDB
request runs alone (they are short: nothing in DynamoDB long-polls), everything else as moto_server
runs it. Usage: python3 moto-server.py <host> <port>
"""

import os
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

DYNAMODB_LOCK = threading.Lock()


def dynamodb_alone(app):
    def serve(environ, start_response):
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
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
