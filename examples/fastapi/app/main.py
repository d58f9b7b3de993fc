"""items-api: the FastAPI example Gantry deploys, run by Gunicorn with Uvicorn workers.

Endpoints: / · /health · /readiness · /items (GET a list, POST echo).
Uses Debian's packages (python3-fastapi, gunicorn, python3-uvicorn); no other dependency.
"""

import os
import socket
import time
from datetime import datetime, timezone

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

SERVICE = "items-api"
HEALTH_CONTENT_TYPE = "application/health+json"
STARTED_AT = time.monotonic()
VERSION = os.environ.get("GANTRY_VERSION") or "dev"
ENVIRONMENT = os.environ.get("GANTRY_ENVIRONMENT") or "local"
INSTANCE = os.environ.get("GANTRY_INSTANCE_ID") or f"{socket.gethostname()}-{os.getpid()}"

ITEMS = [
    {"id": 1, "name": "anvil", "price": 42.5},
    {"id": 2, "name": "rope", "price": 7},
    {"id": 3, "name": "lantern", "price": 19.9},
]

app = FastAPI(title=SERVICE, version=VERSION)


def uptime_s() -> float:
    return round(time.monotonic() - STARTED_AT, 1)


def health(description: str) -> JSONResponse:
    now = datetime.now(timezone.utc).isoformat()
    body = {
        "status": "pass",
        "version": VERSION,
        "serviceId": SERVICE,
        "description": description,
        "checks": {
            "uptime:time": [
                {"status": "pass", "observedValue": uptime_s(), "observedUnit": "s", "time": now}
            ],
            "worker:pid": [{"status": "pass", "observedValue": os.getpid(), "time": now}],
        },
    }
    return JSONResponse(body, media_type=HEALTH_CONTENT_TYPE, headers={"Cache-Control": "no-store"})


@app.get("/")
def root() -> dict:
    return {
        "service": SERVICE,
        "version": VERSION,
        "environment": ENVIRONMENT,
        "instance": INSTANCE,
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "uptime_s": uptime_s(),
    }


@app.get("/health")
def liveness() -> JSONResponse:
    return health(f"{SERVICE} liveness")


@app.get("/readiness")
def readiness() -> JSONResponse:
    return health(f"{SERVICE} readiness")


@app.get("/items")
def list_items() -> dict:
    return {"items": ITEMS}


@app.post("/items", status_code=201)
async def echo_item(request: Request) -> JSONResponse:
    raw = await request.body()
    if not raw:
        return JSONResponse({"received": None, "version": VERSION}, status_code=201)
    try:
        received = await request.json()
    except ValueError as err:
        return JSONResponse({"error": f"request body is not valid JSON: {err}"}, status_code=400)
    return JSONResponse({"received": received, "version": VERSION}, status_code=201)
