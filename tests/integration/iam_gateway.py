"""A moto server on 127.0.0.1 that authorises every request the way AWS would, with the Plan's policies.

moto accepts any credentials and (even with its own IAM enforcement) ignores conditions on identity
policies, so it cannot show that a role is enough for the calls a real client makes. This gateway sits in
front of moto's WSGI app: it reads the access key from each request's SigV4 ``Authorization`` header, maps
it to a role of the Plan, turns the request into the IAM action, resource ARN and condition context AWS
evaluates (S3 REST calls, DynamoDB JSON calls, and the KMS calls S3 makes for SSE-KMS objects), and asks
:mod:`mlplatform.preflight.aws_iam` for a decision. Denied requests get AWS's AccessDenied answer; allowed
ones reach moto. Every authorised call is recorded, so a test can compare what a client really did with
what the preflight models.

The admin key (``ADMIN_KEY``) is allowed everything: tests set up buckets and tables with it.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote
from xml.etree import ElementTree

from werkzeug.serving import make_server
from werkzeug.wrappers import Request as WsgiRequest

from mlplatform.preflight.aws_iam import Request, evaluate

ADMIN_KEY = "AKIAADMINADMINADMIN0"
_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/")


@dataclass
class Identity:
    role_arn: str
    policies: list[str]


@dataclass
class Call:
    access_key: str
    request: Request
    allowed: bool
    reason: str


@dataclass
class Gateway:
    """What the gateway knows of the account: identities by access key, bucket policies and bucket keys."""

    identities: dict[str, Identity] = field(default_factory=dict)
    bucket_policies: dict[str, str] = field(default_factory=dict)
    bucket_keys: dict[str, str] = field(default_factory=dict)
    region: str = "us-east-1"
    calls: list[Call] = field(default_factory=list)
    endpoint: str = ""

    def calls_of(self, access_key: str) -> list[Call]:
        return [c for c in self.calls if c.access_key == access_key]

    # --- request -> IAM ---------------------------------------------------------------------------------

    def _ctx(self, **extra: object) -> dict[str, object]:
        # Clients reach AWS over TLS; the loopback hop to moto is plain HTTP, which the bucket policies'
        # DenyInsecureTransport would (rightly) refuse.
        return {"aws:SecureTransport": True, **extra}

    def s3_requests(self, req: WsgiRequest) -> list[Request]:
        path = unquote(req.path).lstrip("/")
        bucket, _, key = path.partition("/")
        q = {k: v[0] if v else "" for k, v in parse_qs(req.query_string.decode(), keep_blank_values=True).items()}
        arn = f"arn:aws:s3:::{bucket}"
        method = req.method
        if not bucket:
            return [Request("s3:ListAllMyBuckets", "*", self._ctx(), "ListBuckets")]
        if not key:
            if method == "HEAD":
                return [Request("s3:ListBucket", arn, self._ctx(), "HeadBucket")]
            if method == "GET" and "location" in q:
                return [Request("s3:GetBucketLocation", arn, self._ctx(), "GetBucketLocation")]
            if method == "GET" and "versions" in q:
                return [Request("s3:ListBucketVersions", arn, self._ctx(), "ListObjectVersions")]
            if method == "GET" and "uploads" in q:
                return [Request("s3:ListBucketMultipartUploads", arn, self._ctx(), "ListMultipartUploads")]
            if method == "GET" and not (
                set(q)
                - {
                    "list-type",
                    "prefix",
                    "delimiter",
                    "max-keys",
                    "continuation-token",
                    "start-after",
                    "encoding-type",
                    "fetch-owner",
                    "marker",
                }
            ):
                extra = {"s3:prefix": q["prefix"]} if "prefix" in q else {}
                if "delimiter" in q:
                    extra["s3:delimiter"] = q["delimiter"]
                return [Request("s3:ListBucket", arn, self._ctx(**extra), f"ListObjects {q.get('prefix', '')!r}")]
            if method == "POST" and "delete" in q:
                root = ElementTree.fromstring(req.get_data())
                keys = [el.text or "" for el in root.iter() if el.tag.endswith("Key")]
                return [Request("s3:DeleteObject", f"{arn}/{k}", self._ctx(), f"DeleteObjects {k}") for k in keys]
            return [Request(f"s3:Unmapped{method}Bucket?{'&'.join(sorted(q))}", arn, self._ctx(), "unmapped")]
        obj = f"{arn}/{key}"
        if method in ("GET", "HEAD") and not (set(q) - {"versionId", "partNumber", "response-content-type"}):
            calls = [
                Request("s3:GetObject", obj, self._ctx(), f"{'HeadObject' if method == 'HEAD' else 'GetObject'} {key}")
            ]
            return calls + self._kms("kms:Decrypt", bucket, key)
        if method == "PUT" and "tagging" not in q:
            put = Request("s3:PutObject", obj, self._ctx(), f"PutObject {key}")
            return [put, *self._kms("kms:GenerateDataKey", bucket, key)]
        if method == "POST" and ("uploads" in q or "uploadId" in q):
            part = Request("s3:PutObject", obj, self._ctx(), f"MultipartUpload {key}")
            return [part, *self._kms("kms:GenerateDataKey", bucket, key)]
        if method == "DELETE" and "uploadId" in q:
            return [Request("s3:AbortMultipartUpload", obj, self._ctx(), f"AbortMultipartUpload {key}")]
        if method == "DELETE":
            return [Request("s3:DeleteObject", obj, self._ctx(), f"DeleteObject {key}")]
        return [Request(f"s3:Unmapped{method}Object?{'&'.join(sorted(q))}", obj, self._ctx(), "unmapped")]

    def _kms(self, action: str, bucket: str, key: str) -> list[Request]:
        key_arn = self.bucket_keys.get(bucket)
        if not key_arn:
            return []
        via = self._ctx(**{"kms:ViaService": f"s3.{self.region}.amazonaws.com"})
        return [Request(action, key_arn, via, f"{action} for {key} (SSE-KMS)")]

    def dynamodb_requests(self, req: WsgiRequest, account: str) -> list[Request]:
        op = req.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
        body = json.loads(req.get_data() or b"{}")
        tables = list(body.get("RequestItems", {})) if op.startswith("Batch") else [body.get("TableName", "*")]
        if op == "ListTables":
            return [Request("dynamodb:ListTables", "*", self._ctx(), op)]
        if "ResourceArn" in body:  # TagResource, UntagResource, ListTagsOfResource
            return [Request(f"dynamodb:{op}", body["ResourceArn"], self._ctx(), op)]
        return [
            Request(f"dynamodb:{op}", f"arn:aws:dynamodb:{self.region}:{account}:table/{t}", self._ctx(), op)
            for t in tables
        ]

    # --- WSGI -------------------------------------------------------------------------------------------

    def authorise(self, environ) -> tuple[bool, str, str]:
        req = WsgiRequest(environ, shallow=False)
        auth = req.headers.get("Authorization", "")
        match = _CREDENTIAL.search(auth)
        if match is None or match.group(1) == ADMIN_KEY:
            return True, "", ""
        access_key, _, service = match.groups()
        identity = self.identities.get(access_key)
        if identity is None:
            return False, service, f"unknown access key {access_key}"
        account = identity.role_arn.split(":")[4]
        if service == "s3":
            requests = self.s3_requests(req)
        elif service == "dynamodb":
            requests = self.dynamodb_requests(req, account)
        else:
            requests = [Request(f"{service}:Unmapped", "*", self._ctx(), "unmapped service")]
        for r in requests:
            bucket = r.resource.split(":::", 1)[1].split("/", 1)[0] if r.resource.startswith("arn:aws:s3:::") else ""
            resource_policies = [self.bucket_policies[bucket]] if bucket in self.bucket_policies else []
            decision = evaluate(r, identity.policies, resource_policies, principal=identity.role_arn)
            self.calls.append(Call(access_key, r, decision.allowed, decision.reason))
            if not decision.allowed:
                return False, service, f"{r.action} on {r.resource}: {decision.reason}"
        return True, service, ""

    def wsgi(self, app):
        def handler(environ, start_response):
            # Read the body once and put it back for moto.
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            allowed, service, why = self.authorise(environ)
            environ["wsgi.input"] = io.BytesIO(body)
            if allowed:
                return app(environ, start_response)
            if service == "dynamodb":
                payload = json.dumps({"__type": "com.amazon.coral.service#AccessDeniedException", "message": why})
                start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0")])
                return [payload.encode()]
            xml = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>{why}</Message>"
            xml += "</Error>"
            start_response("403 Forbidden", [("Content-Type", "application/xml")])
            return [xml.encode()] if environ["REQUEST_METHOD"] != "HEAD" else [b""]

        return handler


def serve(gateway: Gateway) -> Iterator[Gateway]:
    """Run the gateway in front of moto on 127.0.0.1 until the generator is closed."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

    app = gateway.wsgi(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gateway.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield gateway
    finally:
        server.shutdown()
        thread.join(timeout=10)


def serve_roles(plan, moto_endpoint: str, roles: dict[str, str]) -> Iterator[Gateway]:
    """The gateway for a Plan: each access key in ``roles`` acts as that role ARN with the Plan's policies, the
    Plan's bucket policies and keys apply; moto's state is reset first (it is shared by the session)."""
    import requests

    from mlplatform.preflight.core import Context
    from mlplatform.preflight.data_plane import AwsAccount

    acct = AwsAccount(Context(plan))
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    gateway = Gateway(
        identities={key: Identity(role, acct.identity_policies(role)) for key, role in roles.items()},
        bucket_policies=dict(acct.bucket_policies),
        bucket_keys=dict(acct.bucket_keys),
        region=acct.region,
    )
    yield from serve(gateway)
