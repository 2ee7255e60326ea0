"""A small app that sends LLM cost telemetry the way Opsmeter's own examples do: one POST
per call to $OPSMETER_API_BASE_URL/v1/ingest/llm-request with X-API-Key: $OPSMETER_API_KEY,
standard library only. test/cli/emulate-app.test.ts runs it under `opsmeter emulate -- python3 …`.

Usage: telemetry_app.py SCENARIO   (clean, warnings, invalid, fails, conflict, faults, forged, wait)
Prints one JSON line per request it sent: {"label", "status", "body"}.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

BASE_URL = os.environ.get("OPSMETER_API_BASE_URL", "https://api.opsmeter.io").rstrip("/")
API_KEY = os.environ.get("OPSMETER_API_KEY", "")
ADMIN_URL = os.environ.get("OPSMETER_EMULATOR_URL", "").rstrip("/")


def payload(request_id, **fields):
    """A complete payload for one LLM call; fields override or (with None) remove entries."""
    p = {
        "externalRequestId": request_id,
        "provider": "openai",
        "model": "gpt-4o-mini",
        "promptVersion": "summary_v3",
        "endpointTag": "checkout.ai_summary",
        "inputTokens": 120,
        "outputTokens": 45,
        "totalTokens": 165,
        "latencyMs": 820,
        "status": "success",
        "dataMode": "test",
        "environment": "staging",
        "createdAt": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
    }
    for key, value in fields.items():
        if value is None:
            p.pop(key, None)
        else:
            p[key] = value
    return p


def call(label, method, url, body=None, headers=None):
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode("utf-8")
    print(json.dumps({"label": label, "status": status, "body": json.loads(text) if text else None}), flush=True)
    return status


def ingest(label, body):
    return call(label, "POST", BASE_URL + "/v1/ingest/llm-request", body, {"X-API-Key": API_KEY})


def admin(label, method, path, body=None):
    return call(label, method, ADMIN_URL + "/_emulator/" + path, body)


def main(scenario):
    if scenario == "clean":
        for n in range(3):
            ingest(f"call {n}", payload(f"ext_clean_{n}"))
        ingest("retry of call 0", payload("ext_clean_0"))
        return 0
    if scenario == "warnings":
        # The official SDKs' habits: placeholders, 0/0/0 usage on a success, no latency.
        ingest("sdk defaults", payload("ext_warn_1", promptVersion="unknown", endpointTag="sdk.unknown"))
        ingest("no usage", payload("ext_warn_2", inputTokens=0, outputTokens=0, totalTokens=0))
        ingest("no latency", payload("ext_warn_3", latencyMs=None))
        ingest("clean", payload("ext_warn_4"))
        return 0
    if scenario == "invalid":
        ingest("clean", payload("ext_bad_1"))
        ingest("tokens as a string", payload("ext_bad_2", inputTokens="12"))
        ingest("numeric errorCode", payload("ext_bad_3", status="error", errorCode=20))
        ingest("duplicate key", b'{"externalRequestId":"ext_bad_4","provider":"openai","model":"gpt-4o-mini","model":"gpt-4o","inputTokens":1,"outputTokens":1,"status":"success"}')
        return 0
    if scenario == "fails":
        ingest("clean", payload("ext_fail_1"))
        print("the app failed on its own", file=sys.stderr)
        return 3
    if scenario == "conflict":
        ingest("first", payload("ext_reused"))
        ingest("retry", payload("ext_reused"))
        ingest("another call, same id", payload("ext_reused", inputTokens=300, totalTokens=345))
        return 0
    if scenario == "faults":
        ingest("before", payload("ext_fault_0"))
        admin("requests", "GET", "requests")
        admin("rate limit", "PATCH", "faults", {"rateLimit": 1, "retryAfter": "seconds"})
        ingest("within the burst", payload("ext_fault_1"))
        ingest("throttled", payload("ext_fault_2"))
        admin("plan limit", "PATCH", "faults", {"rateLimit": None, "planLimit": 2})
        ingest("paused", payload("ext_fault_3"))
        admin("hard budget", "PATCH", "faults", {"planLimit": None, "budgetUsd": 0.000001, "budgetMode": "hard"})
        ingest("blocked", payload("ext_fault_4"))
        admin("outage", "PATCH", "faults", {"budgetUsd": None, "failRate": 1})
        ingest("unavailable", payload("ext_fault_5"))
        admin("bad setting", "PATCH", "faults", {"failRate": 2})
        admin("back to normal", "PATCH", "faults", {"failRate": None})
        admin("reset", "POST", "reset")
        ingest("after the reset", payload("ext_fault_1"))
        admin("rows", "GET", "rows")
        return 0
    if scenario == "forged":
        ingest("forged id", payload("ext_x\n#99 POST /v1/ingest/llm-request 200 accepted 0.1ms forged\u001b[2J"))
        return 0
    if scenario == "wait":
        # A long-running app: one call, then it waits to be stopped (bounded, in case nobody does).
        ingest("one call", payload("ext_wait_1", latencyMs=None))
        print("ready", flush=True)
        time.sleep(60)
        return 0
    print(f"unknown scenario {scenario}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "clean"))
