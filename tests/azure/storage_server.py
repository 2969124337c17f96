#!/usr/bin/env python3
"""Loopback Azure Storage server for hqml's Azure adapter tests.

One port answers the Blob and the ADLS Gen2 (dfs) REST subsets, path-style (Azurite style:
http://127.0.0.1:PORT/ACCOUNT/CONTAINER/PATH), with SharedKey, SAS and bearer authorization verified
strictly, the Entra ID / IMDS / App Service token endpoints that issue those bearer tokens, and test-only
fault injection and a request log under /__hqml/. Python standard library only, so any python3 runs it.
Objects live in files under --data-dir and stream through in chunks, so a 1 GB object needs no 1 GB of RAM.
The subset, what the official SDKs verified of it and what is not covered: SERVER.md beside this file.
"""

import argparse
import base64
import datetime
import email.utils
import hashlib
import hmac
import http.server
import itertools
import json
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid
import xml.etree.ElementTree as ElementTree
from xml.sax.saxutils import escape, quoteattr

AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DEFAULT_CLIENT = ("hqml-client", "hqml-secret")
DEFAULT_IDENTITY_HEADER = "hqml-identity-header"
DEFAULT_VERSION = "2025-11-05"  # echoed when a request names no x-ms-version
STORAGE_AUDIENCES = ("https://storage.azure.com",)
IO_BLOCK = 1 << 20  # request bodies are copied to disk in 1 MiB pieces
DRAIN_LIMIT = 256 << 20  # an unread request body up to this is read and dropped (so the client sees the answer,
# not a reset); larger ones close the connection
MAX_PUT_BLOB = 5000 * (1 << 20)
MAX_BLOCK = 4000 * (1 << 20)
MAX_SMALL_BODY = 8 << 20  # XML/JSON request bodies
DEFAULT_FILE_PERMS = "rw-r-----"
DEFAULT_DIR_PERMS = "rwxr-x---"
FILETIME_EPOCH = 116444736000000000  # 1601-01-01 to 1970-01-01 in 100 ns ticks


# ---------------------------------------------------------------------------------------------------------
# Errors and small helpers


class StorageError(Exception):
    """An error answered the way the service answers it: status, x-ms-error-code, message."""

    def __init__(self, status, code, message, headers=None, detail=None, log=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.detail = detail  # Blob's <AuthenticationErrorDetail>
        self.log = log  # why, for the server's stderr (auth failures)


def http_date(ts):
    return email.utils.formatdate(ts, usegmt=True)


def parse_http_date(value):
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def iso_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


_ISO_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?)?(Z|[+-]\d{2}:\d{2})?$")


def parse_iso8601(value):
    """The time forms a SAS's st/se may take (ISO 8601, UTC): a date, or a date and time with optional seconds."""
    m = _ISO_RE.match(value or "")
    if not m:
        return None
    y, mo, d, h, mi, s, tz = m.groups()
    dt = datetime.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                           tzinfo=datetime.timezone.utc)
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        dt -= sign * datetime.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
    return dt.timestamp()


def filetime(ts):
    return str(int(ts * 10_000_000) + FILETIME_EPOCH)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key, text):
    return base64.b64encode(hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()).decode("ascii")


def normalize_etag(value):
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"')


def etag_list(header):
    return [normalize_etag(v) for v in header.split(",") if v.strip()]


class _EtagSource:
    """ETags as the service writes them: "0x8D" and hex digits, unique and increasing."""

    def __init__(self):
        self._lock = threading.Lock()
        self._last = 0

    def __call__(self):
        with self._lock:
            self._last = max(self._last + 1, time.time_ns() // 100)
            return '"0x8D%013X"' % (self._last & 0xFFFFFFFFFFFFF)


new_etag = _EtagSource()


def azure_header_key(name):
    """Sort key for canonicalized x-ms- headers. The service does not sort them by byte: it compares the way a
    Windows word sort does (hyphens and apostrophes ignored first, symbols before digits before letters,
    letters without case), ties broken by the full name. Header names the SDKs send sort the same either way;
    the difference shows only with names like x-ms-meta-a-b next to x-ms-meta-ab."""
    primary = []
    for c in name:
        if c in "-'":
            continue
        if c.isalpha():
            primary.append((3, c.lower()))
        elif c.isdigit():
            primary.append((2, c))
        else:
            primary.append((1, c))
    return (tuple(primary), name)


def parse_query(raw_query):
    """(name, value) pairs, decoded, in order; a name without "=" has the value ""."""
    pairs = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((urllib.parse.unquote(name), urllib.parse.unquote(value)))
    return pairs


# ---------------------------------------------------------------------------------------------------------
# Object storage: immutable chunk files shared by reference, so a commit, a rename or a flush never copies data


class Chunk:
    __slots__ = ("path", "size", "refs")

    def __init__(self, path, size):
        self.path, self.size, self.refs = path, size, 1


class State:
    """Everything the server holds, behind one lock (operations on the index are short; data moves outside it)."""

    def __init__(self, data_dir, accounts):
        self.lock = threading.RLock()
        self.data_dir = data_dir
        self._seq = itertools.count(1)
        self.accounts = {name: Account(name, key) for name, key in accounts}

    def new_chunk_path(self):
        return os.path.join(self.data_dir, "c%010d" % next(self._seq))

    def ref(self, segs):
        for chunk, _, _ in segs:
            chunk.refs += 1

    def unref(self, segs):
        for chunk, _, _ in segs:
            self.unref_chunk(chunk)

    def unref_chunk(self, chunk):
        chunk.refs -= 1
        if chunk.refs == 0:
            try:
                os.unlink(chunk.path)
            except OSError:
                pass


class Account:
    def __init__(self, name, key):
        self.name, self.key = name, key
        self.containers = {}


class Container:
    def __init__(self, name, meta):
        now = time.time()
        self.name, self.meta = name, meta
        self.created = self.modified = now
        self.etag = new_etag()
        self.entries = {}  # path -> Entry (hierarchical namespace: directories are entries too)
        self.uncommitted = {}  # blob name -> {block id: Chunk}, in arrival order


class Entry:
    def __init__(self, kind, now):
        self.kind = kind  # "file" | "directory"
        self.segs = []  # (Chunk, offset, length): the committed content
        self.size = 0
        self.blocks = []  # committed block list: (block id, (Chunk, offset, length))
        self.pending = []  # dfs appends not yet flushed: (position, Chunk, offset in chunk, length)
        self.created = self.modified = now
        self.etag = new_etag()
        self.props = {}  # content-type, content-encoding, ... as the service stores them
        self.meta = {"hdi_isfolder": "true"} if kind == "directory" else {}
        self.owner = self.group = "$superuser"
        self.permissions = DEFAULT_DIR_PERMS if kind == "directory" else DEFAULT_FILE_PERMS
        self.acl = None

    def touch(self):
        self.modified = time.time()
        self.etag = new_etag()


CONTENT_PROPS = (  # (stored name, Put Blob / Put Block List header, dfs header, response header)
    ("type", "x-ms-blob-content-type", "x-ms-content-type", "Content-Type"),
    ("encoding", "x-ms-blob-content-encoding", "x-ms-content-encoding", "Content-Encoding"),
    ("language", "x-ms-blob-content-language", "x-ms-content-language", "Content-Language"),
    ("disposition", "x-ms-blob-content-disposition", "x-ms-content-disposition", "Content-Disposition"),
    ("cache", "x-ms-blob-cache-control", "x-ms-cache-control", "Cache-Control"),
    ("md5", "x-ms-blob-content-md5", "x-ms-content-md5", "Content-MD5"),
)


def slice_segs(segs, start, length):
    out = []
    pos = 0
    for chunk, off, ln in segs:
        if length <= 0:
            break
        if pos + ln <= start:
            pos += ln
            continue
        skip = max(0, start - pos)
        take = min(ln - skip, length)
        out.append((chunk, off + skip, take))
        length -= take
        start += take
        pos += ln
    return out


_CONTAINER_RE = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")


def check_container_name(name):
    if not _CONTAINER_RE.match(name):
        raise StorageError(400, "InvalidResourceName", "The specifed resource name contains invalid characters.")


def normalize_path(path):
    """A hierarchical-namespace path: no empty, "." or ".." elements; one trailing slash is dropped."""
    if path.endswith("/"):
        path = path[:-1]
    if not path or len(path) > 1024 or any(p in ("", ".", "..") for p in path.split("/")):
        raise StorageError(400, "InvalidResourceName", "The specifed resource name contains invalid characters.")
    return path


def parent_of(path):
    return path.rpartition("/")[0]


def children(cont, path, recursive):
    prefix = path + "/" if path else ""
    for name, entry in cont.entries.items():
        if name.startswith(prefix) and name != path and (recursive or "/" not in name[len(prefix):]):
            yield name, entry


# ---------------------------------------------------------------------------------------------------------
# Fault rules and the request log


class Faults:
    KINDS = ("status", "reset", "truncate", "slow", "after_status", "oversize")

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.log = []

    def add(self, specs):
        if isinstance(specs, dict):
            specs = [specs]
        if not isinstance(specs, list):
            raise ValueError("the body must be a JSON list of rules")
        rules = []
        for spec in specs:
            if not isinstance(spec, dict):
                raise ValueError("each rule must be a JSON object")
            unknown = set(spec) - {"method", "path", "query", "kind", "status", "headers", "times", "delay_s",
                                   "after_bytes", "code"}
            if unknown:
                raise ValueError("unknown rule fields: " + ", ".join(sorted(unknown)))
            kind = spec.get("kind", "status")
            if kind not in self.KINDS:
                raise ValueError("kind must be one of " + ", ".join(self.KINDS))
            rule = {
                "method": str(spec.get("method", "*")).upper(),
                "path": re.compile(spec.get("path", "")),
                "query": re.compile(spec["query"]) if spec.get("query") is not None else None,
                "kind": kind,
                "status": int(spec.get("status", 503)),
                "headers": {str(k): str(v) for k, v in (spec.get("headers") or {}).items()},
                "times": int(spec["times"]) if spec.get("times") is not None else -1,
                "delay_s": float(spec.get("delay_s", 1.0)),
                "after_bytes": int(spec.get("after_bytes", 0)),
                "code": spec.get("code"),
                "spec": spec,
            }
            if rule["times"] == 0:
                continue
            rules.append(rule)
        with self.lock:
            self.rules.extend(rules)
        return len(rules)

    def match(self, method, path, query):
        with self.lock:
            for rule in self.rules:
                if rule["times"] == 0:
                    continue
                if rule["method"] not in ("*", method):
                    continue
                if not rule["path"].search(path):
                    continue
                if rule["query"] is not None and not rule["query"].search(query):
                    continue
                if rule["times"] > 0:
                    rule["times"] -= 1
                return rule
        return None

    def reset(self):
        with self.lock:
            self.rules.clear()
            self.log.clear()

    def record(self, entry):
        with self.lock:
            self.log.append(entry)

    def snapshot(self):
        with self.lock:
            rules = [dict(r["spec"], times_left=r["times"]) for r in self.rules]
            return list(self.log), rules


# ---------------------------------------------------------------------------------------------------------
# Bearer tokens: JWTs this server signs with a key of its own, so it can tell its tokens from any other


class Tokens:
    def __init__(self, lifetime_s):
        self.key = os.urandom(32)
        self.lifetime_s = lifetime_s

    def issue(self, audience, tenant, client_id, kind):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "HS256", "kid": "hqml-loopback"}
        oid = str(uuid.uuid5(uuid.NAMESPACE_URL, "hqml:" + client_id))
        payload = {"aud": audience, "iss": "https://sts.windows.net/%s/" % tenant, "iat": now, "nbf": now,
                   "exp": now + self.lifetime_s, "appid": client_id, "azp": client_id, "oid": oid, "sub": oid,
                   "tid": tenant, "ver": "1.0", "idtyp": "app", "hqml_source": kind}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
        sig = hmac.new(self.key, signing_input.encode("ascii"), hashlib.sha256).digest()
        return signing_input + "." + b64url(sig), payload["exp"]

    def verify(self, token):
        """The token's claims, or raise ValueError saying why it is not one of ours or no longer valid."""
        parts = token.split(".")
        if len(parts) != 3:
            raise ValueError("the bearer token is not a JWT")
        expected = hmac.new(self.key, (parts[0] + "." + parts[1]).encode("ascii"), hashlib.sha256).digest()
        try:
            got = b64url_decode(parts[2])
            claims = json.loads(b64url_decode(parts[1]))
        except (ValueError, TypeError):
            raise ValueError("the bearer token is not a well-formed JWT")
        if not hmac.compare_digest(expected, got):
            raise ValueError("the bearer token's signature is not this server's (not issued here)")
        now = time.time()
        if claims.get("exp", 0) <= now:
            raise ValueError("Lifetime validation failed. The token is expired (exp %s, now %d)."
                             % (claims.get("exp"), now))
        if claims.get("nbf", 0) > now + 1:
            raise ValueError("Lifetime validation failed. The token is not yet valid.")
        return claims


# ---------------------------------------------------------------------------------------------------------
# The HTTP side


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, args):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.args = args
        accounts = args.account or [AZURITE_ACCOUNT + ":" + AZURITE_KEY]
        parsed = []
        for spec in accounts:
            name, sep, key = spec.partition(":")
            if not sep or not name or "/" in name:
                raise SystemExit("storage_server: --account wants NAME:BASE64KEY, got %r" % spec)
            try:
                parsed.append((name, base64.b64decode(key, validate=True)))
            except ValueError:
                raise SystemExit("storage_server: the key of account %s is not base64" % name)
        self.owned_dir = None
        if args.data_dir:
            os.makedirs(args.data_dir, exist_ok=True)
            data_dir = tempfile.mkdtemp(prefix="hqml-azure-", dir=args.data_dir)
        else:
            data_dir = tempfile.mkdtemp(prefix="hqml-azure-")
        self.owned_dir = data_dir
        self.state = State(data_dir, parsed)
        self.faults = Faults()
        self.tokens = Tokens(args.token_lifetime_s)
        self.clients = {}
        for spec in args.client or ["%s:%s" % DEFAULT_CLIENT]:
            cid, sep, secret = spec.partition(":")
            if not sep or not cid:
                raise SystemExit("storage_server: --client wants ID:SECRET, got %r" % spec)
            self.clients[cid] = secret
        self.tls = None
        if args.tls_cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(args.tls_cert, args.tls_key)

    def handle_error(self, request, client_address):
        kind = sys.exc_info()[0]
        if kind is not None and issubclass(kind, (ssl.SSLError, ConnectionError, socket.timeout)):
            sys.stderr.write("storage_server: connection from %s dropped: %s\n" % (client_address[0],
                                                                                  sys.exc_info()[1]))
            return
        super().handle_error(request, client_address)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 600  # a connection idle this long (mid-request) is dropped

    # -- plumbing ------------------------------------------------------------------------------------------

    def setup(self):
        self.expect_pending = False
        if self.server.tls is not None:  # the handshake runs here, in the connection's thread
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def handle_expect_100(self):
        # "100 Continue" goes out only when the operation (authorized, target checked) wants the body: a refused
        # upload then costs the client nothing, as with the service.
        self.expect_pending = True
        return True

    def send_continue(self):
        if self.expect_pending:
            self.expect_pending = False
            self.send_response_only(100)
            self.end_headers()

    def handle(self):
        try:
            super().handle()
        except (ssl.SSLError, ConnectionError, socket.timeout, OSError):
            pass

    def version_string(self):
        kind = "HDFS" if getattr(self, "dfs", False) else "Blob"
        return "Windows-Azure-%s/1.0 Microsoft-HTTPAPI/2.0" % kind

    def log_message(self, fmt, *args):
        if self.server.args.verbose:
            sys.stderr.write("storage_server: %s %s\n" % (self.address_string(), fmt % args))

    def warn(self, text):
        sys.stderr.write("storage_server: %s %s: %s\n" % (self.command, self.raw_path, text))
        sys.stderr.flush()

    do_GET = do_PUT = do_HEAD = do_DELETE = do_PATCH = do_POST = do_OPTIONS = lambda self: self.dispatch()

    def h(self, name, default=None):
        values = self.headers.get_all(name)
        if not values:
            return default
        return ",".join(v.strip() for v in values)

    def q(self, name, default=None):
        return self.qmap.get(name.lower(), default)

    # -- request lifecycle ---------------------------------------------------------------------------------

    def dispatch(self):
        self.t0 = time.time()
        self.request_id = str(uuid.uuid4())
        self.raw_path, _, self.raw_query = self.path.partition("?")
        if self.raw_path.startswith(("http://", "https://")):  # absolute-form request target
            self.raw_path = urllib.parse.urlsplit(self.raw_path).path or "/"
        self.qpairs = parse_query(self.raw_query)
        self.qmap = {}
        for k, v in self.qpairs:
            self.qmap.setdefault(k.lower(), v)
        self.dfs = False
        self.auth_kind = "none"
        self.fault = None
        self.fault_replaced = False
        self.bytes_in = self.bytes_out = 0
        self.status = None
        self.error_code = None
        self.started = False
        self.chunked = (self.h("Transfer-Encoding") or "identity").lower() != "identity"
        try:
            self.body_left = int(self.h("Content-Length") or 0)
            if self.body_left < 0:
                raise ValueError
        except ValueError:
            self.body_left = 0
            self.close_connection = True
        log_it = not self.raw_path.startswith("/__hqml/")
        try:
            self.route()
        except StorageError as e:
            if e.log:
                self.warn(e.log)
            if not self.started:
                self.send_error_response(e)
            else:
                self.close_connection = True
        except (ConnectionError, socket.timeout, ssl.SSLError, BrokenPipeError):
            self.close_connection = True
        except Exception:  # a bug here: say it, answer 500, keep serving
            traceback.print_exc()
            if not self.started:
                self.send_error_response(StorageError(500, "InternalError", "The server encountered an internal "
                                                      "error (a bug in the test server: see its stderr)."))
            else:
                self.close_connection = True
        finally:
            self.expect_pending = False
            if log_it:
                rng = self.h("x-ms-range") or self.h("Range")
                self.server.faults.record({
                    "method": self.command, "path": self.raw_path, "query": self.raw_query,
                    "status": self.status, "auth": self.auth_kind, "range": rng, "bytes_in": self.bytes_in,
                    "bytes_out": self.bytes_out, "fault": self.fault["kind"] if self.fault else None,
                    "error_code": self.error_code, "request_id": self.request_id, "time": self.t0,
                })

    # -- request bodies ------------------------------------------------------------------------------------

    def require_length(self):
        if self.chunked:
            raise StorageError(411, "MissingContentLengthHeader",
                               "Transfer-Encoding: chunked is not accepted here; send Content-Length.")
        if self.h("Content-Length") is None:
            raise StorageError(411, "MissingContentLengthHeader", "Content-Length HTTP header is missing.")
        return self.body_left

    def read_body(self, limit=MAX_SMALL_BODY):
        n = self.require_length()
        if n > limit:
            raise StorageError(413, "RequestBodyTooLarge", "The request body is too large and exceeds the "
                               "maximum permissible limit.")
        self.send_continue()
        data = self.rfile.read(n)
        self.bytes_in += len(data)
        self.body_left -= len(data)
        if len(data) != n:
            raise ConnectionError("the client closed the connection mid-body")
        return data

    def read_body_to_chunk(self, limit, want_md5=False):
        """The request body, streamed into a new chunk file; (Chunk, md5 digest or None)."""
        n = self.require_length()
        if n > limit:
            raise StorageError(413, "RequestBodyTooLarge", "The request body is too large and exceeds the "
                               "maximum permissible limit.")
        self.send_continue()
        path = self.server.state.new_chunk_path()
        md5 = hashlib.md5() if want_md5 else None
        buf = bytearray(min(IO_BLOCK, max(n, 1)))
        view = memoryview(buf)
        ok = False
        try:
            with open(path, "wb", buffering=0) as f:
                left = n
                while left > 0:
                    got = self.rfile.readinto(view[:min(left, len(buf))])
                    if not got:
                        raise ConnectionError("the client closed the connection mid-body")
                    f.write(view[:got])
                    if md5 is not None:
                        md5.update(view[:got])
                    left -= got
                    self.bytes_in += got
                    self.body_left -= got
            ok = True
        finally:
            if not ok:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        return Chunk(path, n), (md5.digest() if md5 is not None else None)

    def check_md5(self, digest):
        sent = self.h("Content-MD5")
        if sent and digest is not None and base64.b64encode(digest).decode() != sent:
            raise StorageError(400, "Md5Mismatch", "The MD5 value specified in the request did not match with the "
                               "MD5 value calculated by the server.")

    # -- responses -----------------------------------------------------------------------------------------

    def begin_response(self, status, headers, length):
        """Status line and headers; the body (length bytes) follows from the caller."""
        if self.expect_pending and self.body_left > 0:
            pass  # the client waits for "100 Continue" that never came: it keeps its body; the connection closes
        elif self.body_left > 0 and not self.chunked and self.body_left <= DRAIN_LIMIT:
            try:
                got = self.rfile.read(self.body_left)
                self.bytes_in += len(got)
                self.body_left -= len(got)
            except OSError:
                self.close_connection = True
        must_close = self.chunked or self.body_left > 0
        self.started = True
        self.status = status
        fault = self.fault
        if fault and fault["kind"] == "slow" and (length == 0 or self.command == "HEAD"):
            time.sleep(fault["delay_s"])
        self.send_response(status)
        base = {"x-ms-request-id": self.request_id,
                "x-ms-version": self.h("x-ms-version") or DEFAULT_VERSION}
        crid = self.h("x-ms-client-request-id")
        if crid:
            base["x-ms-client-request-id"] = crid
        base.update(headers)
        if "Content-Length" not in base:
            base["Content-Length"] = str(length)
        for k, v in base.items():
            if v is not None:
                self.send_header(k, v)
        if must_close:
            self.send_header("Connection", "close")
        self.end_headers()

    def send_bytes(self, status, headers=None, body=b""):
        if self.replace_by_fault():
            return
        headers = dict(headers or {})
        head = self.command == "HEAD"
        extra = self.oversize_extra(len(body), headers)
        self.begin_response(status, headers, len(body) + extra)
        if body and not head:
            self.write_body([body])
        self.write_oversize(extra)

    def send_segments(self, status, headers, segs, length):
        if self.replace_by_fault():
            return
        extra = self.oversize_extra(length, headers)
        self.begin_response(status, headers, length + extra)
        if self.command != "HEAD" and length:
            self.write_body(segs)
        self.write_oversize(extra)

    def replace_by_fault(self):
        """after_status: the operation has run (whatever its outcome); its answer is replaced by the rule's status."""
        fault = self.fault
        if fault is None or fault["kind"] != "after_status" or self.fault_replaced:
            return False
        self.fault_replaced = True
        code = fault["code"] or {500: "InternalError", 503: "ServerBusy", 408: "OperationTimedOut"}.get(
            fault["status"], "InjectedFault")
        self.dfs = self.dfs or self.looks_dfs()
        self.send_error_response(StorageError(fault["status"], code, "Injected fault after the operation ran.",
                                              headers=fault["headers"]))
        return True

    def oversize_extra(self, length, headers):
        """oversize: a GET answer with a body gets after_bytes (default 1 MiB) more body bytes than it should."""
        fault = self.fault
        if fault is None or fault["kind"] != "oversize" or self.command != "GET" or length == 0:
            return 0
        extra = fault["after_bytes"] or (1 << 20)
        if "Content-Length" in headers:
            headers["Content-Length"] = str(int(headers["Content-Length"]) + extra)
        return extra

    def write_oversize(self, extra):
        piece = b"\0" * min(extra, 64 << 10)
        while extra > 0:
            n = min(extra, len(piece))
            self.wfile.write(piece[:n])
            self.bytes_out += n
            extra -= n

    def write_body(self, parts):
        """parts: bytes objects and (Chunk, offset, length) segments. Faults shape the stream here."""
        fault = self.fault
        if fault is None or fault["kind"] not in ("truncate", "slow"):
            for part in parts:
                if isinstance(part, (bytes, bytearray)):
                    self.wfile.write(part)
                    self.bytes_out += len(part)
                    continue
                chunk, off, ln = part
                with open(chunk.path, "rb") as f:
                    sent = self.connection.sendfile(f, off, ln)
                    self.bytes_out += sent
                    if sent != ln:
                        raise ConnectionError("short sendfile")
            return
        # Fault path: plain writes, so the byte counts are exact.
        cut = fault["after_bytes"] if fault["kind"] == "truncate" else None
        stall_at = fault["after_bytes"] if fault["kind"] == "slow" else None
        stalled = False

        def pieces():
            for part in parts:
                if isinstance(part, (bytes, bytearray)):
                    yield memoryview(part)
                    continue
                chunk, off, ln = part
                with open(chunk.path, "rb") as f:
                    f.seek(off)
                    while ln > 0:
                        data = f.read(min(ln, 64 << 10))
                        if not data:
                            return
                        ln -= len(data)
                        yield memoryview(data)

        for piece in pieces():
            while len(piece):
                n = len(piece)
                if cut is not None:
                    n = min(n, cut - self.bytes_out)
                    if n <= 0:
                        self.close_connection = True
                        self.wfile.flush()
                        try:
                            self.connection.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                        return
                if stall_at is not None and not stalled:
                    if self.bytes_out >= stall_at:
                        time.sleep(fault["delay_s"])
                        stalled = True
                    else:
                        n = min(n, stall_at - self.bytes_out)
                self.wfile.write(piece[:n])
                self.bytes_out += n
                piece = piece[n:]
        if cut is not None and self.bytes_out >= cut:
            self.close_connection = True

    def send_error_response(self, e):
        self.error_code = e.code
        when = iso_now()
        message = "%s\nRequestId:%s\nTime:%s" % (e.message, self.request_id, when)
        headers = {"x-ms-error-code": e.code}
        headers.update(e.headers)
        if self.command == "HEAD" or e.status == 304:
            body = b""
        elif self.dfs:
            body = json.dumps({"error": {"code": e.code, "message": message}}, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json;charset=utf-8"
        else:
            detail = ("<AuthenticationErrorDetail>%s</AuthenticationErrorDetail>" % escape(e.detail)
                      if e.detail else "")
            body = ('<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>%s</Message>%s</Error>'
                    % (escape(e.code), escape(message), detail)).encode("utf-8")
            headers["Content-Type"] = "application/xml"
        self.send_bytes(e.status, headers, body)

    def send_json(self, status, obj, headers=None):
        body = json.dumps(obj, separators=(",", ":")).encode("utf-8")
        h = {"Content-Type": "application/json;charset=utf-8"}
        h.update(headers or {})
        self.send_bytes(status, h, body)

    def send_xml(self, status, text, headers=None):
        h = {"Content-Type": "application/xml"}
        h.update(headers or {})
        self.send_bytes(status, h, ('<?xml version="1.0" encoding="utf-8"?>' + text).encode("utf-8"))

    # -- routing -------------------------------------------------------------------------------------------

    def route(self):
        path = self.raw_path
        if path.startswith("/__hqml/"):
            return self.test_endpoint(path[len("/__hqml/"):])
        self.fault = self.server.faults.match(self.command, path, self.raw_query)
        if self.fault is not None and self.apply_early_fault():
            return
        parts = path.split("/")
        if self.command == "POST" and re.fullmatch(r"/[^/]+/oauth2/v2\.0/token", path):
            return self.token_entra(urllib.parse.unquote(parts[1]))
        if self.command == "GET" and re.fullmatch(r"/[^/]+/v2\.0/\.well-known/openid-configuration", path):
            return self.openid_configuration(urllib.parse.unquote(parts[1]))
        if self.command == "GET" and path == "/metadata/identity/oauth2/token":
            return self.token_imds()
        if self.command == "GET" and path == "/msi/token":
            return self.token_app_service()
        return self.storage(parts)

    def apply_early_fault(self):
        """status and reset faults answer before the operation runs; truncate and slow shape its response."""
        fault = self.fault
        if fault["kind"] == "status":
            code = fault["code"] or {500: "InternalError", 503: "ServerBusy", 408: "OperationTimedOut"}.get(
                fault["status"], "InjectedFault")
            message = {503: "The server is busy.", 500: "The server encountered an internal error. Please retry "
                       "the request.", 408: "The operation could not be completed within the permitted time."}.get(
                fault["status"], "Injected fault.")
            self.dfs = self.looks_dfs()
            self.send_error_response(StorageError(fault["status"], code, message, headers=fault["headers"]))
            return True
        if fault["kind"] == "reset":
            self.status = 0
            self.started = True
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            self.connection.close()
            return True
        return False

    def looks_dfs(self):
        return (self.command == "PATCH" or self.h("x-ms-rename-source") is not None
                or self.q("resource") in ("filesystem", "file", "directory", "account")
                or self.q("action") is not None or "recursive" in self.qmap or "continuation" in self.qmap)

    # -- the test-only endpoints ---------------------------------------------------------------------------

    def test_endpoint(self, name):
        faults = self.server.faults
        if name == "faults" and self.command == "POST":
            try:
                count = faults.add(json.loads(self.read_body() or b"[]"))
            except (ValueError, TypeError, re.error) as e:
                return self.send_json(400, {"error": "bad fault rule: %s" % e})
            return self.send_json(200, {"added": count})
        if name == "faults" and self.command == "GET":
            return self.send_json(200, faults.snapshot()[1])
        if name == "reset" and self.command == "POST":
            faults.reset()
            return self.send_json(200, {"reset": True})
        if name == "log" and self.command == "GET":
            return self.send_json(200, faults.snapshot()[0])
        return self.send_json(404, {"error": "no such test endpoint: %s %s" % (self.command, name)})

    # -- token endpoints -----------------------------------------------------------------------------------

    def base_url(self):
        scheme = "https" if self.server.tls is not None else "http"
        return "%s://%s" % (scheme, self.h("Host") or "%s:%d" % self.server.server_address[:2])

    def aad_error(self, status, error, code, description):
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        self.error_code = error
        self.send_json(status, {"error": error, "error_description": "AADSTS%d: %s" % (code, description),
                                "error_codes": [code], "timestamp": now, "trace_id": str(uuid.uuid4()),
                                "correlation_id": str(uuid.uuid4())})

    def openid_configuration(self, tenant):
        base = self.base_url() + "/" + tenant
        self.send_json(200, {
            "token_endpoint": base + "/oauth2/v2.0/token",
            "authorization_endpoint": base + "/oauth2/v2.0/authorize",
            "device_authorization_endpoint": base + "/oauth2/v2.0/devicecode",
            "issuer": base + "/v2.0",
            "jwks_uri": base + "/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "tenant_region_scope": None,
        })

    def token_entra(self, tenant):
        """Microsoft identity platform v2 token endpoint, client credentials grant only."""
        ctype = (self.h("Content-Type") or "").split(";")[0].strip().lower()
        body = self.read_body()
        if ctype != "application/x-www-form-urlencoded":
            return self.aad_error(400, "invalid_request", 900144, "The request body must contain the following "
                                  "parameter: 'grant_type' (send application/x-www-form-urlencoded).")
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        basic = self.h("Authorization") or ""
        if basic.lower().startswith("basic "):  # client_secret_basic
            try:
                cid, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                form.setdefault("client_id", urllib.parse.unquote_plus(cid))
                form.setdefault("client_secret", urllib.parse.unquote_plus(secret))
            except ValueError:
                pass
        if form.get("grant_type") != "client_credentials":
            return self.aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant "
                                  "type '%s'." % form.get("grant_type", ""))
        client_id = form.get("client_id", "")
        if not client_id:
            return self.aad_error(400, "invalid_request", 900144, "The request body must contain the following "
                                  "parameter: 'client_id'.")
        scopes = form.get("scope", "").split()
        default = [s for s in scopes if s.endswith("/.default")]
        if len(default) != 1:
            return self.aad_error(400, "invalid_scope", 1002012, "The provided value for scope %s is not valid. "
                                  "Client credential flows must have a scope value with /.default suffixed to the "
                                  "resource identifier (application ID URI)." % form.get("scope", ""))
        if "client_secret" in form:
            if client_id not in self.server.clients:
                return self.aad_error(400, "unauthorized_client", 700016, "Application with identifier '%s' was "
                                      "not found in the directory '%s'." % (client_id, tenant))
            if not hmac.compare_digest(form["client_secret"], self.server.clients[client_id]):
                return self.aad_error(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the "
                                      "secret being sent in the request is the client secret value, not the client "
                                      "secret ID, for a secret added to app '%s'." % client_id)
            source = "client_secret"
        elif "client_assertion" in form:
            if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
                return self.aad_error(400, "invalid_request", 50027, "client_assertion_type must be "
                                      "urn:ietf:params:oauth:client-assertion-type:jwt-bearer.")
            assertion = form["client_assertion"]
            expected_file = self.server.args.federated_token_file
            if expected_file:
                try:
                    with open(expected_file, encoding="utf-8") as f:
                        expected = f.read().strip()
                except OSError as e:
                    return self.aad_error(401, "invalid_client", 700211, "No matching federated identity record "
                                          "found (cannot read --federated-token-file: %s)." % e)
                if not assertion or not hmac.compare_digest(assertion.strip(), expected):
                    return self.aad_error(401, "invalid_client", 700213, "No matching federated identity record "
                                          "found for presented assertion (it is not the --federated-token-file's "
                                          "content).")
            elif not assertion:
                return self.aad_error(401, "invalid_client", 700211, "The client assertion is empty.")
            source = "client_assertion"
        else:
            return self.aad_error(401, "invalid_client", 7000218, "The request body must contain the following "
                                  "parameter: 'client_assertion' or 'client_secret'.")
        resource = default[0][: -len("/.default")]
        token, exp = self.server.tokens.issue(resource, tenant, client_id, source)
        lifetime = exp - int(time.time())
        self.send_json(200, {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                             "access_token": token}, {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def token_imds(self):
        """Azure Instance Metadata Service, managed identity token (api-version 2018-02-01 shape)."""
        if (self.h("Metadata") or "").lower() != "true":
            self.error_code = "invalid_request"
            return self.send_json(400, {"error": "invalid_request",
                                        "error_description": "Required metadata header not specified"})
        for name in ("api-version", "resource"):
            if not self.q(name):
                self.error_code = "invalid_request"
                return self.send_json(400, {"error": "invalid_request",
                                            "error_description": "Required query variable '%s' is missing" % name})
        client_id = self.q("client_id") or "hqml-imds-identity"
        token, exp = self.server.tokens.issue(self.q("resource"), "hqml-tenant", client_id, "imds")
        now = int(time.time())
        lifetime = str(exp - now)
        self.send_json(200, {"access_token": token, "client_id": client_id, "expires_in": lifetime,
                             "expires_on": str(exp), "ext_expires_in": lifetime, "not_before": str(now),
                             "resource": self.q("resource"), "token_type": "Bearer"})

    def token_app_service(self):
        """App Service / Functions managed identity endpoint (api-version 2019-08-01 shape)."""
        expected = self.server.args.identity_header
        sent = self.h("X-IDENTITY-HEADER")
        if sent is None:
            self.error_code = "missing_identity_header"
            return self.send_json(400, {"statusCode": 400, "message": "X-IDENTITY-HEADER is missing.",
                                        "correlationId": str(uuid.uuid4())})
        if not hmac.compare_digest(sent, expected):
            self.error_code = "bad_identity_header"
            return self.send_json(401, {"statusCode": 401, "message": "X-IDENTITY-HEADER does not match.",
                                        "correlationId": str(uuid.uuid4())})
        if not self.q("resource") or not self.q("api-version"):
            self.error_code = "invalid_request"
            return self.send_json(400, {"statusCode": 400, "message": "resource and api-version are required.",
                                        "correlationId": str(uuid.uuid4())})
        client_id = self.q("client_id") or "hqml-appservice-identity"
        token, exp = self.server.tokens.issue(self.q("resource"), "hqml-tenant", client_id, "app_service")
        self.send_json(200, {"access_token": token, "expires_on": str(exp), "resource": self.q("resource"),
                             "token_type": "Bearer", "client_id": client_id})

    # -- storage: authentication ---------------------------------------------------------------------------

    def string_to_sign_shared_key(self, account, ordinal=False):
        fields = [self.command]
        for name in ("Content-Encoding", "Content-Language", "Content-Length", "Content-MD5", "Content-Type",
                     "Date", "If-Modified-Since", "If-Match", "If-None-Match", "If-Unmodified-Since", "Range"):
            value = self.h(name, "")
            if name == "Content-Length" and value == "0":
                value = ""  # versions 2015-02-21 and later sign an empty Content-Length for a zero-length body
            fields.append(value)
        xms = {}
        for name, value in self.headers.items():
            lname = name.lower()
            if lname.startswith("x-ms-"):
                xms.setdefault(lname, []).append(" ".join(value.split()))
        names = sorted(xms) if ordinal else sorted(xms, key=azure_header_key)
        canon_headers = "".join("%s:%s\n" % (n, ",".join(xms[n])) for n in names)
        grouped = {}
        for k, v in self.qpairs:
            grouped.setdefault(k.lower(), []).append(v)
        canon_query = "".join("\n%s:%s" % (k, ",".join(sorted(grouped[k]))) for k in sorted(grouped))
        return "\n".join(fields) + "\n" + canon_headers + "/" + account.name + self.raw_path + canon_query

    def authenticate(self, account, target):
        """Sets self.principal from the Authorization header or the SAS in the query, or raises the service's error.
        target: (container or None, path or None) the request addresses."""
        auth = self.h("Authorization")
        if auth:
            scheme, _, rest = auth.partition(" ")
            scheme = scheme.lower()
            if scheme == "sharedkey":
                self.auth_kind = "sharedkey"
                return self.auth_shared_key(account, rest.strip())
            if scheme == "bearer":
                self.auth_kind = "bearer"
                return self.auth_bearer(account, rest.strip())
            self.auth_kind = scheme
            raise StorageError(403, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the"
                               " value of Authorization header is formed correctly including the signature.",
                               log="authorization scheme %r is not supported here (SharedKey, Bearer or a SAS)"
                               % scheme)
        if "sig" in self.qmap:
            self.auth_kind = "sas"
            return self.auth_sas(account, target)
        raise StorageError(401, "NoAuthenticationInformation", "Server failed to authenticate the request. Please "
                           "refer to the information in the www-authenticate header.",
                           headers={"WWW-Authenticate": self.challenge()},
                           log="no Authorization header and no SAS")

    def challenge(self):
        return 'Bearer authorization_uri=%s/hqml-tenant/oauth2/authorize resource_id=%s' % (
            self.base_url(), STORAGE_AUDIENCES[0])

    def check_date(self):
        date = self.h("x-ms-date") or self.h("Date")
        if not date:
            raise StorageError(403, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the"
                               " value of Authorization header is formed correctly including the signature.",
                               detail="x-ms-date or Date header is mandatory", log="no x-ms-date and no Date")
        ts = parse_http_date(date)
        if ts is None:
            raise StorageError(403, "AuthenticationFailed", "Server failed to authenticate the request.",
                               detail="The Date header in the request is incorrect.",
                               log="unreadable date %r (RFC 1123 wanted)" % date)
        if abs(time.time() - ts) > 15 * 60:
            raise StorageError(403, "AuthenticationFailed", "Server failed to authenticate the request.",
                               detail="Request date header too old: '%s'" % date,
                               log="request date %r is more than 15 minutes off this machine's clock" % date)

    def auth_shared_key(self, account, credential):
        name, sep, sig = credential.rpartition(":")
        if not sep or name != account.name:
            raise StorageError(403, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the"
                               " value of Authorization header is formed correctly including the signature.",
                               detail="The account in the Authorization header (%r) is not the account in the URL"
                               % name, log="SharedKey for account %r on a request to account %r" % (name, account.name))
        self.check_date()
        sts = self.string_to_sign_shared_key(account)
        expected = sign(account.key, sts)
        if hmac.compare_digest(expected, sig):
            self.principal = ("sharedkey", None)
            return
        why = "signature mismatch; the server's string-to-sign was %r" % sts
        if hmac.compare_digest(sign(account.key, self.string_to_sign_shared_key(account, ordinal=True)), sig):
            why += " (the client sorted the x-ms- headers by byte: the service compares them ignoring hyphens)"
        raise StorageError(403, "AuthenticationFailed", "Server failed to authenticate the request. Make sure the "
                           "value of Authorization header is formed correctly including the signature.",
                           detail="The MAC signature found in the HTTP request '%s' is not the same as any computed "
                           "signature. Server used following string to sign: '%s'." % (sig, sts), log=why)

    def auth_bearer(self, account, token):
        version = self.h("x-ms-version") or ""
        if version < "2017-11-09":
            raise StorageError(403, "AuthenticationFailed", "Authentication scheme Bearer is not supported in this "
                               "version.", log="bearer token with x-ms-version %r: OAuth needs 2017-11-09 or later"
                               % version)
        try:
            claims = self.server.tokens.verify(token)
        except ValueError as e:
            raise StorageError(401, "InvalidAuthenticationInfo", "Server failed to authenticate the request. Please "
                               "refer to the information in the www-authenticate header.",
                               headers={"WWW-Authenticate": self.challenge() + ' error="invalid_token" '
                                        'error_description="%s"' % str(e).replace('"', "'")},
                               detail=str(e), log="bearer token refused: %s" % e)
        aud = str(claims.get("aud", "")).rstrip("/")
        accepted = {a for a in STORAGE_AUDIENCES} | {"https://%s.%s.core.windows.net" % (account.name, s)
                                                     for s in ("blob", "dfs")}
        if aud not in accepted:
            raise StorageError(401, "InvalidAuthenticationInfo", "Server failed to authenticate the request. Please "
                               "refer to the information in the www-authenticate header.",
                               headers={"WWW-Authenticate": self.challenge()},
                               detail="Audience validation failed. Audience did not match.",
                               log="bearer token for audience %r, not Azure Storage" % claims.get("aud"))
        self.principal = ("bearer", claims)

    def auth_sas(self, account, target):
        params = dict((k, v) for k, v in self.qpairs)
        self.principal = ("sas", self.verify_sas(account, params, target))

    def sas_fail(self, code, message, log, detail=None, status=403):
        return StorageError(status, code, message, detail=detail, log="SAS refused: " + log)

    def verify_sas(self, account, p, target):
        """Checks a SAS's signature and times; returns its grants: {"kind", "sp", "srt", "sr"}."""
        auth_msg = ("Server failed to authenticate the request. Make sure the value of Authorization header is "
                    "formed correctly including the signature.")
        sv = p.get("sv", "")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", sv):
            raise self.sas_fail("AuthenticationFailed", auth_msg, "no sv (signed version) or a malformed one")
        for unsupported in ("skoid", "si"):
            if p.get(unsupported):
                raise self.sas_fail("AuthenticationFailed", auth_msg, "%s present: user delegation SAS and stored "
                                    "access policies are not supported by this test server" % unsupported)
        start = parse_iso8601(p["st"]) if p.get("st") else None
        expiry = parse_iso8601(p.get("se", "")) if p.get("se") else None
        if expiry is None or (p.get("st") and start is None):
            raise self.sas_fail("AuthenticationFailed", auth_msg, "se missing or st/se not ISO 8601 UTC")
        now = time.time()
        if (start is not None and now < start) or now >= expiry:
            raise self.sas_fail("AuthenticationFailed", auth_msg, "outside st..se (now %s)" % iso_now(),
                                detail="Signed expiry time [%s] has to be after signed start time [%s] and now"
                                % (p.get("se"), p.get("st", "")) if now >= expiry else
                                "Signature not valid in the specified time frame: Start [%s] - Expiry [%s] - "
                                "Current [%s]" % (p.get("st"), p.get("se"), http_date(now)))
        if p.get("spr") == "https" and self.server.tls is None:
            raise self.sas_fail("AuthorizationProtocolMismatch", "This request is not authorized to perform this "
                                "operation using this protocol.", "spr=https on a plain http request")
        if p.get("sip"):
            client = self.client_address[0]
            lo, _, hi = p["sip"].partition("-")
            try:
                import ipaddress
                c = ipaddress.ip_address(client)
                ok = ipaddress.ip_address(lo) <= c <= ipaddress.ip_address(hi or lo)
            except ValueError:
                ok = False
            if not ok:
                raise self.sas_fail("AuthorizationSourceIPMismatch", "This request is not authorized to perform "
                                    "this operation using this source IP %s." % client, "sip %s" % p["sip"])
        old = sv < "2015-04-05"
        if old:
            raise self.sas_fail("AuthenticationFailed", auth_msg, "sv %s predates 2015-04-05 (not supported)" % sv)
        with_ses = sv >= "2020-12-06"
        if "ss" in p or "srt" in p:  # account SAS
            fields = [account.name, p.get("sp", ""), p.get("ss", ""), p.get("srt", ""), p.get("st", ""),
                      p.get("se", ""), p.get("sip", ""), p.get("spr", ""), sv]
            if with_ses:
                fields.append(p.get("ses", ""))
            sts = "\n".join(fields) + "\n"
            kind = "account"
            if "b" not in p.get("ss", ""):
                raise self.sas_fail("AuthorizationServiceMismatch", "This request is not authorized to perform this "
                                    "operation using this service.", "ss=%r lacks b (blob, which dfs uses too)"
                                    % p.get("ss", ""))
        else:  # service SAS
            sr = p.get("sr", "")
            container, path = target
            if sr in ("c",):
                resource = container
            elif sr == "b":
                resource = container + "/" + path if container and path else None
            elif sr == "d":
                depth = p.get("sdd", "")
                if not depth.isdigit() or not container:
                    resource = None
                else:
                    elems = (path or "").split("/") if path else []
                    resource = container + "/" + "/".join(elems[: int(depth)]) if len(elems) >= int(depth) else None
                    if int(depth) == 0:
                        resource = container
            else:
                raise self.sas_fail("AuthenticationFailed", auth_msg, "sr=%r is not one of c, b, d (snapshot and "
                                    "version SAS are not supported)" % sr)
            if resource is None or container is None:
                raise self.sas_fail("AuthenticationFailed", auth_msg, "sr=%s does not fit this request's URL "
                                    "(a SAS for a blob or directory used elsewhere)" % sr)
            canon = "/blob/%s/%s" % (account.name, resource)
            fields = [p.get("sp", ""), p.get("st", ""), p.get("se", ""), canon, p.get("si", ""), p.get("sip", ""),
                      p.get("spr", ""), sv]
            if sv >= "2018-11-09":
                fields += [sr, p.get("snapshot", "")]
            if with_ses:
                fields.append(p.get("ses", ""))
            fields += [p.get("rscc", ""), p.get("rscd", ""), p.get("rsce", ""), p.get("rscl", ""), p.get("rsct", "")]
            sts = "\n".join(fields)
            kind = "service"
        expected = sign(account.key, sts)
        if not hmac.compare_digest(expected, p.get("sig", "")):
            raise self.sas_fail("AuthenticationFailed", auth_msg, "signature mismatch; string-to-sign %r" % sts,
                                detail="Signature did not match. String to sign used was %s" % sts)
        return {"kind": kind, "sp": set(p.get("sp", "")), "srt": set(p.get("srt", "")), "sr": p.get("sr")}

    def authorize(self, level, any_of, grants=None):
        """A SAS's permissions checked against the operation: level s|c|o (service, container, object) and the
        permission letters of which any one suffices. SharedKey and our bearer tokens may do everything."""
        if grants is None:
            kind, grants = self.principal
            if kind != "sas":
                return
        if grants["kind"] == "account":
            if level not in grants["srt"]:
                raise self.sas_fail("AuthorizationResourceTypeMismatch", "This request is not authorized to perform "
                                    "this operation using this resource type.", "srt=%s lacks %s"
                                    % ("".join(sorted(grants["srt"])), level))
        elif level == "s" or (level == "c" and any_of not in ("l", "r")):
            raise self.sas_fail("AuthorizationResourceTypeMismatch", "This request is not authorized to perform this "
                                "operation using this resource type.", "a service SAS (sr=%s) for a %s-level "
                                "operation" % (grants["sr"], {"s": "service", "c": "container"}[level]))
        if not set(any_of) & grants["sp"]:
            raise self.sas_fail("AuthorizationPermissionMismatch", "This request is not authorized to perform this "
                                "operation using this permission.", "sp=%s, the operation needs one of %s"
                                % ("".join(sorted(grants["sp"])), any_of))

    # -- storage: dispatch ---------------------------------------------------------------------------------

    def storage(self, parts):
        self.dfs = self.looks_dfs()
        if len(parts) < 2 or not parts[1]:
            raise StorageError(400, "InvalidUri", "The requested URI does not represent any resource on the server "
                               "(path-style: /ACCOUNT/CONTAINER/PATH).")
        account = self.server.state.accounts.get(urllib.parse.unquote(parts[1]))
        if account is None:
            raise StorageError(403, "AuthenticationFailed", "Server failed to authenticate the request.",
                               log="no account %r on this server (--account NAME:KEY)" % parts[1])
        container = urllib.parse.unquote(parts[2]) if len(parts) > 2 and parts[2] else None
        raw_blob = "/".join(parts[3:]) if len(parts) > 3 else ""
        path = urllib.parse.unquote(raw_blob) if raw_blob else None
        m, q = self.command, self.q
        if container is None:
            self.authenticate(account, (None, None))
            if m == "GET" and q("comp") == "list":
                return self.list_containers(account)
            if m == "GET" and q("resource") == "account":
                return self.list_filesystems(account)
            if m in ("GET", "HEAD") and q("restype") == "account" and q("comp") == "properties":
                self.authorize("s", "rwdlacup")
                return self.send_bytes(200, {"x-ms-sku-name": "Standard_LRS", "x-ms-account-kind": "StorageV2",
                                             "x-ms-is-hns-enabled": "true"})
            raise StorageError(400, "InvalidQueryParameterValue", "This account-level operation is not supported by "
                               "the test server (list containers, list filesystems, account properties are).")
        if path is None:
            target = (container, (q("directory") or "").strip("/") or None
                      if q("resource") == "filesystem" and m == "GET" else None)
            self.authenticate(account, target)
            if q("resource") == "filesystem":
                if m == "PUT":
                    return self.create_container(account, container)
                if m == "DELETE":
                    return self.delete_container(account, container)
                if m == "HEAD":
                    return self.container_properties(account, container)
                if m == "GET":
                    return self.list_paths(account, container)
                if m == "PATCH":
                    return self.set_container_metadata(account, container)
            elif q("restype") == "container":
                comp = q("comp")
                if m == "GET" and comp == "list":
                    return self.list_blobs(account, container)
                if comp is None and m == "PUT":
                    return self.create_container(account, container)
                if comp is None and m == "DELETE":
                    return self.delete_container(account, container)
                if comp is None and m in ("GET", "HEAD"):
                    return self.container_properties(account, container)
                if comp == "metadata" and m == "PUT":
                    return self.set_container_metadata(account, container)
            raise StorageError(400, "InvalidQueryParameterValue", "This container-level operation is not supported by "
                               "the test server.")
        self.authenticate(account, (container, path.rstrip("/")))
        comp, action = q("comp"), q("action")
        if m == "PUT":
            if self.h("x-ms-rename-source") is not None:
                return self.rename(account, container, path)
            if q("resource") in ("file", "directory"):
                return self.create_path(account, container, path, q("resource"))
            if comp == "block":
                return self.put_block(account, container, path)
            if comp == "blocklist":
                return self.put_block_list(account, container, path)
            if comp == "metadata":
                return self.set_metadata(account, container, path)
            if comp == "properties":
                return self.set_http_headers(account, container, path)
            if comp is None:
                return self.put_blob(account, container, path)
        elif m == "PATCH":
            if action == "append":
                return self.append(account, container, path)
            if action == "flush":
                return self.flush(account, container, path)
            if action in ("setProperties", "setAccessControl"):
                return self.set_path_properties(account, container, path, action)
        elif m in ("GET", "HEAD"):
            if comp == "blocklist" and m == "GET":
                return self.get_block_list(account, container, path)
            if comp is None:
                return self.get_blob(account, container, path)
        elif m == "DELETE":
            if comp is None:
                return self.delete_path(account, container, path)
        raise StorageError(400, "InvalidQueryParameterValue", "This operation (%s with comp=%s action=%s) is not "
                           "supported by the test server." % (m, comp, action))

    # -- storage: helpers ----------------------------------------------------------------------------------

    def get_container(self, account, name):
        cont = account.containers.get(name)
        if cont is None:
            if self.dfs:
                raise StorageError(404, "FilesystemNotFound", "The specified filesystem does not exist.")
            raise StorageError(404, "ContainerNotFound", "The specified container does not exist.")
        return cont

    def not_found(self):
        if self.dfs:
            return StorageError(404, "PathNotFound", "The specified path does not exist.")
        return StorageError(404, "BlobNotFound", "The specified blob does not exist.")

    def check_conditions(self, entry, write):
        """If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since against entry (None: absent)."""
        im, inm = self.h("If-Match"), self.h("If-None-Match")
        ims, ius = self.h("If-Modified-Since"), self.h("If-Unmodified-Since")
        etag = normalize_etag(entry.etag) if entry is not None else None
        fail = StorageError(412, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is "
                            "not met.")
        if im is not None:
            if entry is None:
                raise fail if write else self.not_found()
            if im.strip() != "*" and etag not in etag_list(im):
                raise fail
        if inm is not None and entry is not None:
            if inm.strip() == "*":
                if write:
                    if self.dfs:
                        raise StorageError(409, "PathAlreadyExists", "The specified path already exists.")
                    raise StorageError(409, "BlobAlreadyExists", "The specified blob already exists.")
                raise StorageError(304, "ConditionNotMet", "Not modified.")
            if etag in etag_list(inm):
                if write:
                    raise fail
                raise StorageError(304, "ConditionNotMet", "Not modified.")
        if ims is not None and entry is not None:
            t = parse_http_date(ims)
            if t is not None and int(entry.modified) <= t:
                if write:
                    raise fail
                raise StorageError(304, "ConditionNotMet", "Not modified.")
        if ius is not None and entry is not None:
            t = parse_http_date(ius)
            if t is not None and int(entry.modified) > t:
                raise fail

    def ensure_parents(self, cont, path, now, create=True):
        parts = path.split("/")
        missing = []
        for i in range(1, len(parts)):
            p = "/".join(parts[:i])
            e = cont.entries.get(p)
            if e is None:
                missing.append(p)
            elif e.kind != "directory":
                raise StorageError(409, "PathConflict", "The specified path, or an element of the path, exists and "
                                   "its resource type is invalid for this operation.")
        if create:
            for p in missing:
                cont.entries[p] = Entry("directory", now)
        return missing

    def meta_from_headers(self):
        return {k[len("x-ms-meta-"):]: v.strip() for k, v in self.headers.items()
                if k.lower().startswith("x-ms-meta-")}

    def props_from_headers(self, which):
        """Content properties from the Put Blob / Put Block List headers (which=1) or the dfs ones (which=2)."""
        props = {}
        for prop in CONTENT_PROPS:
            v = self.h(prop[which])
            if v is not None:
                props[prop[0]] = v
        return props

    def dfs_properties(self):
        raw = self.h("x-ms-properties")
        if raw is None:
            return None
        meta = {}
        for item in raw.split(","):
            if not item.strip():
                continue
            k, sep, v = item.partition("=")
            try:
                meta[k.strip()] = base64.b64decode(v.strip(), validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                raise StorageError(400, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the "
                                   "correct format (x-ms-properties: name=base64 value, comma-separated).")
        return meta

    def entry_headers(self, entry):
        h = {"Last-Modified": http_date(entry.modified), "ETag": entry.etag,
             "x-ms-creation-time": http_date(entry.created), "x-ms-blob-type": "BlockBlob",
             "x-ms-lease-status": "unlocked", "x-ms-lease-state": "available", "x-ms-server-encrypted": "true",
             "x-ms-resource-type": entry.kind, "x-ms-owner": entry.owner, "x-ms-group": entry.group,
             "x-ms-permissions": entry.permissions, "Accept-Ranges": "bytes"}
        for prop in CONTENT_PROPS:
            if prop[0] in entry.props and prop[0] != "md5":
                h[prop[3]] = entry.props[prop[0]]
        h.setdefault("Content-Type", "application/octet-stream")
        for k, v in entry.meta.items():
            h["x-ms-meta-" + k] = v
        if entry.meta:
            h["x-ms-properties"] = ",".join("%s=%s" % (k, base64.b64encode(v.encode()).decode())
                                            for k, v in entry.meta.items() if k != "hdi_isfolder")
        return h

    def write_ok(self, entry, status, extra=None):
        h = {"ETag": entry.etag, "Last-Modified": http_date(entry.modified), "x-ms-request-server-encrypted": "true"}
        h.update(extra or {})
        self.send_bytes(status, h)

    # -- containers / filesystems --------------------------------------------------------------------------

    def create_container(self, account, name):
        self.authorize("c", "cw")
        self.require_length()
        check_container_name(name)
        st = self.server.state
        with st.lock:
            if name in account.containers:
                if self.dfs:
                    raise StorageError(409, "FilesystemAlreadyExists", "The specified filesystem already exists.")
                raise StorageError(409, "ContainerAlreadyExists", "The specified container already exists.")
            cont = account.containers[name] = Container(name, self.meta_from_headers())
        self.send_bytes(201, {"ETag": cont.etag, "Last-Modified": http_date(cont.modified)})

    def delete_container(self, account, name):
        self.authorize("c", "d")
        st = self.server.state
        with st.lock:
            cont = self.get_container(account, name)
            del account.containers[name]
            for entry in cont.entries.values():
                st.unref(entry.segs)
                for piece in entry.pending:
                    st.unref_chunk(piece[1])
            for blocks in cont.uncommitted.values():
                for chunk in blocks.values():
                    st.unref_chunk(chunk)
        self.send_bytes(202)

    def container_properties(self, account, name):
        self.authorize("c", "r")
        with self.server.state.lock:
            cont = self.get_container(account, name)
            h = {"ETag": cont.etag, "Last-Modified": http_date(cont.modified), "x-ms-lease-status": "unlocked",
                 "x-ms-lease-state": "available", "x-ms-has-immutability-policy": "false",
                 "x-ms-has-legal-hold": "false", "x-ms-namespace-enabled": "true"}
            for k, v in cont.meta.items():
                h["x-ms-meta-" + k] = v
        self.send_bytes(200, h)

    def set_container_metadata(self, account, name):
        self.authorize("c", "w")
        with self.server.state.lock:
            cont = self.get_container(account, name)
            cont.meta = self.meta_from_headers() if not self.dfs else (self.dfs_properties() or {})
            cont.modified, cont.etag = time.time(), new_etag()
            h = {"ETag": cont.etag, "Last-Modified": http_date(cont.modified)}
        self.send_bytes(200, h)

    def page_params(self, marker_name, max_name):
        limit = self.q(max_name)
        if limit is None:
            limit = 5000
        else:
            if not limit.isdigit() or int(limit) < 1:
                raise StorageError(400, "OutOfRangeQueryParameterValue", "One of the query parameters specified in "
                                   "the request URI is outside the permissible range (%s)." % max_name)
            limit = min(int(limit), 5000)
        marker = self.q(marker_name)
        start = None
        if marker:
            try:
                tag, _, name = b64url_decode(marker).decode("utf-8").partition("!")
                if tag != "hqml1":
                    raise ValueError
                start = name
            except (ValueError, UnicodeDecodeError):
                raise StorageError(400, "InvalidQueryParameterValue", "The value for %s is not a marker this server "
                                   "issued." % marker_name)
        return limit, start

    @staticmethod
    def make_marker(name):
        return b64url(("hqml1!" + name).encode("utf-8"))

    def list_containers(self, account):
        self.authorize("s", "l")
        limit, start = self.page_params("marker", "maxresults")
        prefix = self.q("prefix") or ""
        include = (self.q("include") or "").split(",")
        with self.server.state.lock:
            names = sorted(n for n in account.containers if n.startswith(prefix) and (start is None or n >= start))
            page, rest = names[:limit], names[limit:]
            items = []
            for n in page:
                c = account.containers[n]
                meta = ""
                if "metadata" in include:
                    meta = "<Metadata>%s</Metadata>" % "".join("<%s>%s</%s>" % (k, escape(v), k)
                                                               for k, v in c.meta.items())
                items.append("<Container><Name>%s</Name><Properties><Last-Modified>%s</Last-Modified><Etag>%s</Etag>"
                             "<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>"
                             "<HasImmutabilityPolicy>false</HasImmutabilityPolicy><HasLegalHold>false</HasLegalHold>"
                             "</Properties>%s</Container>" % (escape(n), http_date(c.modified),
                                                              normalize_etag(c.etag), meta))
        xml = "<EnumerationResults ServiceEndpoint=%s>" % quoteattr(self.base_url() + "/" + account.name + "/")
        if self.q("prefix") is not None:
            xml += "<Prefix>%s</Prefix>" % escape(prefix)
        if self.q("marker") is not None:
            xml += "<Marker>%s</Marker>" % escape(self.q("marker"))
        if self.q("maxresults") is not None:
            xml += "<MaxResults>%s</MaxResults>" % escape(self.q("maxresults"))
        xml += "<Containers>%s</Containers>" % "".join(items)
        xml += ("<NextMarker>%s</NextMarker>" % self.make_marker(rest[0])) if rest else "<NextMarker />"
        self.send_xml(200, xml + "</EnumerationResults>")

    def list_filesystems(self, account):
        self.authorize("s", "l")
        limit, start = self.page_params("continuation", "maxResults")
        prefix = self.q("prefix") or ""
        with self.server.state.lock:
            names = sorted(n for n in account.containers if n.startswith(prefix) and (start is None or n >= start))
            page, rest = names[:limit], names[limit:]
            items = [{"etag": normalize_etag(account.containers[n].etag),
                      "lastModified": http_date(account.containers[n].modified), "name": n} for n in page]
        self.send_json(200, {"filesystems": items},
                       {"x-ms-continuation": self.make_marker(rest[0])} if rest else None)

    def list_blobs(self, account, name):
        self.authorize("c", "l")
        limit, start = self.page_params("marker", "maxresults")
        prefix = self.q("prefix") or ""
        delim = self.q("delimiter") or ""
        include = (self.q("include") or "").split(",")
        with self.server.state.lock:
            cont = self.get_container(account, name)
            rows = {}  # name -> entry or None (a BlobPrefix)
            for n, e in cont.entries.items():
                if not n.startswith(prefix):
                    continue
                if delim:
                    cut = n.find(delim, len(prefix))
                    if cut >= 0:
                        rows.setdefault(n[: cut + len(delim)], None)
                        continue
                rows[n] = e
            names = sorted(n for n in rows if start is None or n >= start)
            page, rest = names[:limit], names[limit:]
            items = []
            for n in page:
                e = rows[n]
                if e is None:
                    items.append("<BlobPrefix><Name>%s</Name></BlobPrefix>" % escape(n))
                    continue
                props = ("<Creation-Time>%s</Creation-Time><Last-Modified>%s</Last-Modified><Etag>%s</Etag>"
                         "<Content-Length>%d</Content-Length><Content-Type>%s</Content-Type>"
                         % (http_date(e.created), http_date(e.modified), normalize_etag(e.etag), e.size,
                            escape(e.props.get("type", "application/octet-stream"))))
                for key, tag in (("encoding", "Content-Encoding"), ("language", "Content-Language"),
                                 ("md5", "Content-MD5"), ("cache", "Cache-Control"),
                                 ("disposition", "Content-Disposition")):
                    v = e.props.get(key)
                    props += ("<%s>%s</%s>" % (tag, escape(v), tag)) if v else "<%s />" % tag
                props += ("<BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier>"
                          "<AccessTierInferred>true</AccessTierInferred><LeaseStatus>unlocked</LeaseStatus>"
                          "<LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted>"
                          "<ResourceType>%s</ResourceType>" % e.kind)
                meta = ""
                if "metadata" in include:
                    meta = "<Metadata>%s</Metadata>" % "".join("<%s>%s</%s>" % (k, escape(v), k)
                                                               for k, v in e.meta.items())
                items.append("<Blob><Name>%s</Name><Properties>%s</Properties>%s</Blob>" % (escape(n), props, meta))
        xml = "<EnumerationResults ServiceEndpoint=%s ContainerName=%s>" % (
            quoteattr(self.base_url() + "/" + account.name + "/"), quoteattr(name))
        for qn, tag in (("prefix", "Prefix"), ("marker", "Marker"), ("maxresults", "MaxResults"),
                        ("delimiter", "Delimiter")):
            if self.q(qn) is not None:
                xml += "<%s>%s</%s>" % (tag, escape(self.q(qn)), tag)
        xml += "<Blobs>%s</Blobs>" % "".join(items)
        xml += ("<NextMarker>%s</NextMarker>" % self.make_marker(rest[0])) if rest else "<NextMarker />"
        self.send_xml(200, xml + "</EnumerationResults>")

    def list_paths(self, account, name):
        self.authorize("c", "l")
        recursive = self.q("recursive")
        if recursive not in ("true", "false"):
            raise StorageError(400, "InvalidQueryParameterValue", "The value for one of the query parameters "
                               "specified in the request URI is invalid (recursive must be true or false).")
        limit, start = self.page_params("continuation", "maxResults")
        directory = self.q("directory") or ""
        with self.server.state.lock:
            cont = self.get_container(account, name)
            if directory:
                directory = normalize_path(directory)
                d = cont.entries.get(directory)
                if d is None or d.kind != "directory":
                    raise StorageError(404, "PathNotFound", "The specified path does not exist.")
            rows = sorted(children(cont, directory, recursive == "true"), key=lambda r: r[0].split("/"))
            if start is not None:
                key = start.split("/")
                rows = [r for r in rows if r[0].split("/") > key]
            page, more = rows[:limit], len(rows) > limit
            items = []
            for n, e in page:
                item = {"contentLength": str(e.size), "creationTime": filetime(e.created),
                        "etag": normalize_etag(e.etag), "expiryTime": "0", "group": e.group}
                if e.kind == "directory":
                    item["isDirectory"] = "true"
                item.update({"lastModified": http_date(e.modified), "name": n, "owner": e.owner,
                             "permissions": e.permissions})
                items.append(item)
        self.send_json(200, {"paths": items}, {"x-ms-continuation": self.make_marker(page[-1][0])} if more else None)

    # -- blobs ---------------------------------------------------------------------------------------------

    def put_blob(self, account, cname, path):
        blob_type = self.h("x-ms-blob-type")
        if blob_type is None:
            raise StorageError(400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is "
                               "not specified (x-ms-blob-type).")
        if blob_type != "BlockBlob":
            raise StorageError(400, "InvalidHeaderValue", "Only BlockBlob is supported by the test server.")
        path = normalize_path(path)
        st = self.server.state
        with st.lock:
            cont = self.get_container(account, cname)
            existing = cont.entries.get(path)
            self.check_conditions(existing, write=True)
            self.authorize("o", "w" if existing is not None else "cw")
            if existing is not None and existing.kind == "directory":
                raise StorageError(409, "PathConflict", "The specified path, or an element of the path, exists and "
                                   "its resource type is invalid for this operation.")
            self.ensure_parents(cont, path, 0, create=False)
        chunk, md5 = self.read_body_to_chunk(MAX_PUT_BLOB, want_md5=True if self.h("Content-MD5") or
                                             chunk_small(self.body_left) else False)
        try:
            self.check_md5(md5)
        except StorageError:
            st.unref_chunk(chunk)
            raise
        with st.lock:
            try:
                cont = self.get_container(account, cname)
                existing = cont.entries.get(path)
                self.check_conditions(existing, write=True)
                now = time.time()
                self.ensure_parents(cont, path, now)
            except StorageError:
                st.unref_chunk(chunk)
                raise
            entry = Entry("file", now)
            if existing is not None:
                entry.created = existing.created
                st.unref(existing.segs)
                self.drop_pending(existing)
            entry.segs = [(chunk, 0, chunk.size)] if chunk.size else []
            if not chunk.size:
                st.unref_chunk(chunk)
            entry.size = chunk.size
            entry.props = self.props_from_headers(1)
            if "type" not in entry.props and self.h("Content-Type"):
                entry.props["type"] = self.h("Content-Type")
            if md5 is not None and "md5" not in entry.props:
                entry.props["md5"] = base64.b64encode(md5).decode()
            entry.meta = self.meta_from_headers()
            cont.entries[path] = entry
            self.drop_uncommitted(cont, path)
        extra = {"Content-MD5": base64.b64encode(md5).decode()} if md5 is not None else {}
        self.write_ok(entry, 201, extra)

    def drop_pending(self, entry):
        for piece in entry.pending:
            self.server.state.unref_chunk(piece[1])
        entry.pending = []

    def drop_uncommitted(self, cont, path):
        for chunk in cont.uncommitted.pop(path, {}).values():
            self.server.state.unref_chunk(chunk)

    def put_block(self, account, cname, path):
        path = normalize_path(path)
        block_id = self.q("blockid")
        try:
            raw_id = base64.b64decode(block_id or "", validate=True)
            if not block_id or len(raw_id) > 64:
                raise ValueError
        except ValueError:
            raise StorageError(400, "InvalidQueryParameterValue", "Value for one of the query parameters specified "
                               "in the request URI is invalid (blockid: base64 of at most 64 bytes).")
        st = self.server.state
        with st.lock:
            cont = self.get_container(account, cname)
            self.authorize("o", "wac")
            others = cont.uncommitted.get(path, {})
            if others and len(base64.b64decode(next(iter(others)))) != len(raw_id):
                raise StorageError(400, "InvalidBlobOrBlock", "The specified blob or block content is invalid (all "
                                   "block ids of a blob must have the same length).")
        chunk, md5 = self.read_body_to_chunk(MAX_BLOCK, want_md5=bool(self.h("Content-MD5")))
        try:
            self.check_md5(md5)
        except StorageError:
            st.unref_chunk(chunk)
            raise
        with st.lock:
            cont = account.containers.get(cname)
            if cont is None:
                st.unref_chunk(chunk)
                raise self.not_found()
            blocks = cont.uncommitted.setdefault(path, {})
            old = blocks.pop(block_id, None)
            if old is not None:
                st.unref_chunk(old)
            blocks[block_id] = chunk
        h = {"x-ms-request-server-encrypted": "true"}
        if md5 is not None:
            h["Content-MD5"] = base64.b64encode(md5).decode()
        self.send_bytes(201, h)

    def put_block_list(self, account, cname, path):
        path = normalize_path(path)
        body = self.read_body(4 << 20)
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            raise StorageError(400, "InvalidXmlDocument", "XML specified is not syntactically valid.")
        if root.tag != "BlockList":
            raise StorageError(400, "InvalidXmlDocument", "XML specified is not syntactically valid (BlockList).")
        wanted = [(el.tag, (el.text or "").strip()) for el in root]
        if len(wanted) > 50000 or any(t not in ("Committed", "Uncommitted", "Latest") for t, _ in wanted):
            raise StorageError(400, "InvalidBlockList", "The specified block list is invalid.")
        st = self.server.state
        with st.lock:
            cont = self.get_container(account, cname)
            existing = cont.entries.get(path)
            self.check_conditions(existing, write=True)
            self.authorize("o", "w" if existing is not None else "cw")
            if existing is not None and existing.kind == "directory":
                raise StorageError(409, "PathConflict", "The specified path, or an element of the path, exists and "
                                   "its resource type is invalid for this operation.")
            uncommitted = cont.uncommitted.get(path, {})
            committed = dict(existing.blocks) if existing is not None else {}
            blocks = []
            for tag, bid in wanted:
                seg = None
                if tag in ("Uncommitted", "Latest") and bid in uncommitted:
                    c = uncommitted[bid]
                    seg = (c, 0, c.size)
                elif tag in ("Committed", "Latest") and bid in committed:
                    seg = committed[bid]
                if seg is None:
                    raise StorageError(400, "InvalidBlockList", "The specified block list is invalid.")
                blocks.append((bid, seg))
            now = time.time()
            self.ensure_parents(cont, path, now)
            entry = Entry("file", now)
            entry.blocks = blocks
            entry.segs = [seg for _, seg in blocks if seg[2] > 0]
            st.ref(entry.segs)
            entry.size = sum(seg[2] for seg in entry.segs)
            entry.props = self.props_from_headers(1)
            entry.meta = self.meta_from_headers()
            if existing is not None:
                entry.created = existing.created
                st.unref(existing.segs)
                self.drop_pending(existing)
            cont.entries[path] = entry
            self.drop_uncommitted(cont, path)
        self.write_ok(entry, 201)

    def get_block_list(self, account, cname, path):
        self.authorize("o", "r")
        path = normalize_path(path)
        which = self.q("blocklisttype") or "committed"
        with self.server.state.lock:
            cont = self.get_container(account, cname)
            entry = cont.entries.get(path)
            unc = cont.uncommitted.get(path, {})
            if entry is None and not unc:
                raise self.not_found()
            com = "".join("<Block><Name>%s</Name><Size>%d</Size></Block>" % (escape(b), s[2])
                          for b, s in (entry.blocks if entry else []))
            un = "".join("<Block><Name>%s</Name><Size>%d</Size></Block>" % (escape(b), c.size) for b, c in unc.items())
            h = {}
            if entry is not None:
                h = {"ETag": entry.etag, "Last-Modified": http_date(entry.modified),
                     "x-ms-blob-content-length": str(entry.size)}
        xml = "<BlockList>"
        if which in ("committed", "all"):
            xml += "<CommittedBlocks>%s</CommittedBlocks>" % com
        if which in ("uncommitted", "all"):
            xml += "<UncommittedBlocks>%s</UncommittedBlocks>" % un
        self.send_xml(200, xml + "</BlockList>", h)

    def parse_range(self, size):
        xr = self.h("x-ms-range")
        r = xr or self.h("Range")
        if not r:
            return None
        m = re.fullmatch(r"\s*bytes=(\d+)-(\d*)\s*", r)
        if not m:
            if xr:
                raise StorageError(400, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the "
                                   "correct format (x-ms-range: bytes=START-[END]).")
            return None
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else None
        if start >= size or (end is not None and end < start):
            raise StorageError(416, "InvalidRange", "The range specified is invalid for the current size of the "
                               "resource.", headers={"Content-Range": "bytes */%d" % size})
        end = size - 1 if end is None else min(end, size - 1)
        return start, end

    def get_blob(self, account, cname, path):
        self.authorize("o", "r")
        path = normalize_path(path)
        st = self.server.state
        with st.lock:
            cont = self.get_container(account, cname)
            entry = cont.entries.get(path)
            if entry is None:
                raise self.not_found()
            self.check_conditions(entry, write=False)
            h = self.entry_headers(entry)
            if self.q("action") == "getAccessControl":
                h["x-ms-acl"] = entry.acl or ("user::%s,group::%s,other::%s" % (
                    entry.permissions[0:3], entry.permissions[3:6], entry.permissions[6:9]))
            rng = self.parse_range(entry.size)
            if rng is None:
                start, length, status = 0, entry.size, 200
                if "md5" in entry.props:
                    h["Content-MD5"] = entry.props["md5"]
            else:
                start, length, status = rng[0], rng[1] - rng[0] + 1, 206
                h["Content-Range"] = "bytes %d-%d/%d" % (rng[0], rng[1], entry.size)
                if "md5" in entry.props:
                    h["x-ms-blob-content-md5"] = entry.props["md5"]
            segs = slice_segs(entry.segs, start, length)
            st.ref(segs)
        try:
            if rng is not None and (self.h("x-ms-range-get-content-md5") or "").lower() == "true":
                if length > 4 << 20:
                    raise StorageError(400, "OutOfRangeInput", "x-ms-range-get-content-md5 wants a range of at most "
                                       "4 MiB.")
                md5 = hashlib.md5()
                for chunk, off, ln in segs:
                    with open(chunk.path, "rb") as f:
                        f.seek(off)
                        md5.update(f.read(ln))
                h["Content-MD5"] = base64.b64encode(md5.digest()).decode()
            h["Content-Length"] = str(length)
            if self.command == "HEAD" and status == 206:
                status = 200  # HEAD ignores ranges
                h.pop("Content-Range", None)
                h["Content-Length"] = str(entry.size)
            self.send_segments(status, h, segs, length)
        finally:
            with st.lock:
                st.unref(segs)

    def set_metadata(self, account, cname, path):
        path = normalize_path(path)
        with self.server.state.lock:
            cont = self.get_container(account, cname)
            entry = cont.entries.get(path)
            if entry is None:
                raise self.not_found()
            self.check_conditions(entry, write=True)
            self.authorize("o", "w")
            meta = self.meta_from_headers()
            if entry.kind == "directory":
                meta["hdi_isfolder"] = "true"
            entry.meta = meta
            entry.touch()
        self.write_ok(entry, 200)

    def set_http_headers(self, account, cname, path):
        path = normalize_path(path)
        with self.server.state.lock:
            cont = self.get_container(account, cname)
            entry = cont.entries.get(path)
            if entry is None:
                raise self.not_found()
            self.check_conditions(entry, write=True)
            self.authorize("o", "w")
            entry.props = self.props_from_headers(1)
            entry.touch()
        self.write_ok(entry, 200)

    # -- dfs paths -----------------------------------------------------------------------------------------

    def create_path(self, account, cname, path, resource):
        if self.require_length():
            raise StorageError(400, "ContentLengthMustBeZero", "The Content-Length request header must be zero.")
        path = normalize_path(path)
        meta = self.dfs_properties()
        st = self.server.state
        with st.lock:
            cont = self.get_container(account, cname)
            existing = cont.entries.get(path)
            self.check_conditions(existing, write=True)
            self.authorize("o", "w" if existing is not None else "cw")
            if existing is not None and existing.kind != resource:
                raise StorageError(409, "PathConflict", "The specified path, or an element of the path, exists and "
                                   "its resource type is invalid for this operation.")
            now = time.time()
            self.ensure_parents(cont, path, now)
            if existing is not None and resource == "directory":
                entry = existing
                entry.touch()
            else:
                entry = Entry(resource, now)
                if existing is not None:
                    st.unref(existing.segs)
                    self.drop_pending(existing)
                cont.entries[path] = entry
                self.drop_uncommitted(cont, path)
            if meta is not None:
                entry.meta = meta
                if resource == "directory":
                    entry.meta["hdi_isfolder"] = "true"
            if resource == "file":
                entry.props = self.props_from_headers(2)
            perms = self.h("x-ms-permissions")
            umask = self.h("x-ms-umask")
            entry.permissions = apply_mode(perms, umask, resource, True)
        self.write_ok(entry, 201, {"Content-Length": "0"})

    def append(self, account, cname, path):
        path = normalize_path(path)
        pos = self.q("position")
        if pos is None or not pos.isdigit():
            raise StorageError(400, "InvalidQueryParameterValue", "The value for one of the query parameters "
                               "specified in the request URI is invalid (position).")
        pos = int(pos)
        st = self.server.state
        with st.lock:
            cont = self.get_container(account, cname)
            entry = cont.entries.get(path)
            if entry is None:
                raise self.not_found()
            self.authorize("o", "wa")
            if entry.kind != "file":
                raise StorageError(409, "PathConflict", "The specified path, or an element of the path, exists and "
                                   "its resource type is invalid for this operation.")
            # Any position is accepted here (appends may arrive out of order); the flush judges contiguity. The
            # SDK's upload_data(overwrite=False) appends at 0 to an existing file and lets its flush's
            # If-None-Match: * fail, so an append must not fail first.
        chunk, md5 = self.read_body_to_chunk(MAX_BLOCK, want_md5=bool(self.h("Content-MD5")))
        try:
            self.check_md5(md5)
        except StorageError:
            st.unref_chunk(chunk)
            raise
        with st.lock:
            cont = account.containers.get(cname)
            entry = cont.entries.get(path) if cont is not None else None
            if entry is None or entry.kind != "file":
                st.unref_chunk(chunk)
                raise self.not_found()
            if chunk.size:
                entry.pending.append((pos, chunk, 0, chunk.size))
            else:
                st.unref_chunk(chunk)
            if (self.q("flush") or "").lower() == "true":
                self.commit_flush(entry, pos + chunk.size, retain=False)
                return self.write_ok(entry, 200)
        h = {"x-ms-request-server-encrypted": "true"}
        if md5 is not None:
            h["Content-MD5"] = base64.b64encode(md5).decode()
        self.send_bytes(202, h)

    def commit_flush(self, entry, position, retain):
        """Makes the appended data up to position part of the file; raises InvalidFlushPosition when it is not
        contiguous from the file's end. Called under the state lock."""
        st = self.server.state
        bad = StorageError(400, "InvalidFlushPosition", "The uploaded data is not contiguous or the position query "
                           "parameter value is not equal to the length of the file after appending the uploaded data.")
        if position < entry.size:
            raise bad
        cur = entry.size
        take = []
        for pos, chunk, off, ln in sorted(entry.pending, key=lambda p: p[0]):
            if cur >= position:
                break
            if pos + ln <= entry.size:
                continue  # stale data before the file's end
            if pos != cur:
                raise bad
            n = min(ln, position - cur)
            take.append((chunk, off, n))
            cur += n
        if cur != position:
            raise bad
        st.ref(take)
        entry.segs = entry.segs + take
        entry.size = position
        keep = []
        for pos, chunk, off, ln in entry.pending:
            if retain and pos + ln > position:
                cut = max(0, position - pos)  # a piece straddling position keeps its part after it
                keep.append((pos + cut, chunk, off + cut, ln - cut))
            else:
                st.unref_chunk(chunk)
        entry.pending = keep
        entry.touch()

    def flush(self, account, cname, path):
        if self.require_length():
            raise StorageError(400, "ContentLengthMustBeZero", "The Content-Length request header must be zero.")
        path = normalize_path(path)
        pos = self.q("position")
        if pos is None or not pos.isdigit():
            raise StorageError(400, "InvalidQueryParameterValue", "The value for one of the query parameters "
                               "specified in the request URI is invalid (position).")
        with self.server.state.lock:
            cont = self.get_container(account, cname)
            entry = cont.entries.get(path)
            if entry is None:
                raise self.not_found()
            self.check_conditions(entry, write=True)
            self.authorize("o", "w")
            if entry.kind != "file":
                raise StorageError(409, "PathConflict", "The specified path, or an element of the path, exists and "
                                   "its resource type is invalid for this operation.")
            self.commit_flush(entry, int(pos), (self.q("retainUncommittedData") or "").lower() == "true")
            props = self.props_from_headers(2)
            if props:
                entry.props = props
        self.write_ok(entry, 200, {"Content-Length": "0"})

    def set_path_properties(self, account, cname, path, action):
        path = normalize_path(path)
        with self.server.state.lock:
            cont = self.get_container(account, cname)
            entry = cont.entries.get(path)
            if entry is None:
                raise self.not_found()
            self.check_conditions(entry, write=True)
            if action == "setProperties":
                self.authorize("o", "w")
                meta = self.dfs_properties()
                if meta is not None:
                    entry.meta = meta
                    if entry.kind == "directory":
                        entry.meta["hdi_isfolder"] = "true"
            else:
                self.authorize("o", "wop")
                entry.owner = self.h("x-ms-owner") or entry.owner
                entry.group = self.h("x-ms-group") or entry.group
                if self.h("x-ms-permissions"):
                    entry.permissions = apply_mode(self.h("x-ms-permissions"), None, entry.kind, False)
                entry.acl = self.h("x-ms-acl") or entry.acl
            entry.touch()
        self.write_ok(entry, 200)

    def delete_path(self, account, cname, path):
        path = normalize_path(path)
        st = self.server.state
        with st.lock:
            cont = self.get_container(account, cname)
            entry = cont.entries.get(path)
            if entry is None:
                raise self.not_found()
            self.check_conditions(entry, write=True)
            self.authorize("o", "d")
            doomed = [(path, entry)]
            if entry.kind == "directory":
                below = list(children(cont, path, True))
                if below and (self.q("recursive") or "").lower() != "true":
                    raise StorageError(409, "DirectoryNotEmpty", "The recursive query parameter value must be true "
                                       "to delete a non-empty directory.")
                doomed += below
            for name, e in doomed:
                del cont.entries[name]
                st.unref(e.segs)
                self.drop_pending(e)
                self.drop_uncommitted(cont, name)
        self.send_bytes(200 if self.dfs else 202)

    def rename(self, account, cname, path):
        self.dfs = True
        if self.require_length():
            raise StorageError(400, "ContentLengthMustBeZero", "The Content-Length request header must be zero.")
        dest = normalize_path(path)
        source = self.h("x-ms-rename-source")
        src_raw, _, src_query = source.partition("?")
        src_parts = [urllib.parse.unquote(p) for p in src_raw.lstrip("/").split("/", 1)]
        if len(src_parts) != 2 or not src_parts[0] or not src_parts[1]:
            raise StorageError(400, "InvalidRenameSourcePath", "The source path for a rename operation must be of "
                               "the form /{filesystem}/{path}.")
        src_cname, src_path = src_parts[0], normalize_path(src_parts[1])
        kind, grants = self.principal
        if kind == "sas":
            self.authorize("o", "m" if grants["kind"] == "service" else "w")
            if src_query:  # the source carries its own SAS: check it too
                src_grants = self.verify_sas(account, dict(parse_query(src_query)), (src_cname, src_path))
                self.authorize("o", "md" if src_grants["kind"] == "service" else "d", src_grants)
            elif grants["kind"] == "account":
                self.authorize("o", "d")
        st = self.server.state
        with st.lock:
            dst_cont = self.get_container(account, cname)
            src_cont = account.containers.get(src_cname)
            src = src_cont.entries.get(src_path) if src_cont is not None else None
            if src is None:
                raise StorageError(404, "SourcePathNotFound", "The source path for a rename operation does not "
                                   "exist.")
            self.check_source_conditions(src)
            if src_cont is dst_cont and src_path == dest:
                return self.write_ok(src, 201, {"Content-Length": "0"})
            if src_cont is dst_cont and dest.startswith(src_path + "/"):
                raise StorageError(400, "InvalidDestinationPath", "The specified path, or an element of the path, "
                                   "is invalid: a path cannot be renamed into its own subtree.")
            parent = parent_of(dest)
            if parent:
                p = dst_cont.entries.get(parent)
                if p is None:
                    raise StorageError(404, "RenameDestinationParentPathNotFound", "The parent directory of the "
                                       "destination path does not exist.")
                if p.kind != "directory":
                    raise StorageError(409, "PathConflict", "The specified path, or an element of the path, exists "
                                       "and its resource type is invalid for this operation.")
            existing = dst_cont.entries.get(dest)
            self.check_conditions(existing, write=True)
            if existing is not None:
                if existing.kind != src.kind:
                    raise StorageError(409, "InvalidSourceOrDestinationResourceType", "The source and destination "
                                       "resource type must be identical.")
                if existing.kind == "directory":
                    raise StorageError(409, "PathAlreadyExists", "The specified path already exists.")
                del dst_cont.entries[dest]
                st.unref(existing.segs)
                self.drop_pending(existing)
            moving = [(src_path, src)] + (list(children(src_cont, src_path, True)) if src.kind == "directory" else [])
            for name, e in moving:
                del src_cont.entries[name]
                self.drop_uncommitted(src_cont, name)
            for name, e in moving:
                dst_cont.entries[dest + name[len(src_path):]] = e
            src.touch()
        self.write_ok(src, 201, {"Content-Length": "0"})

    def check_source_conditions(self, src):
        im, inm = self.h("x-ms-source-if-match"), self.h("x-ms-source-if-none-match")
        etag = normalize_etag(src.etag)
        if (im is not None and im.strip() != "*" and etag not in etag_list(im)) or (
                inm is not None and (inm.strip() == "*" or etag in etag_list(inm))):
            raise StorageError(412, "SourceConditionNotMet", "The source condition specified using HTTP conditional "
                               "header(s) is not met.")


def chunk_small(n):
    """Put Blob stores a Content-MD5 as the service does; computing it costs time, so only bodies up to 64 MiB."""
    return n <= 64 << 20


def apply_mode(perms, umask, kind, use_umask):
    """x-ms-permissions (symbolic rwxr-x--- or octal 0750), on create with x-ms-umask (octal, default 0027) taken
    away, as a symbolic string."""
    base = 0o777 if kind == "directory" else 0o666
    mode = base
    if perms:
        perms = perms.strip()
        if re.fullmatch(r"[0-7]{3,4}", perms):
            mode = int(perms, 8) & 0o777
        elif re.fullmatch(r"[r-][w-][xXtT-][r-][w-][xXtT-][r-][w-][xXtT-]\+?", perms):
            mode = sum(1 << (8 - i) for i, c in enumerate(perms[:9]) if c not in "-TX")
        else:
            raise StorageError(400, "InvalidPermission", "The permission value is invalid.")
    default_umask = 0o027
    if umask is not None:
        if not re.fullmatch(r"[0-7]{3,4}", umask.strip()):
            raise StorageError(400, "InvalidUmask", "The umask value is invalid.")
        default_umask = int(umask, 8) & 0o777
    if use_umask:
        mode &= ~default_umask
    return "".join(c if mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))


# ---------------------------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description="Loopback Azure Storage (Blob + ADLS Gen2) test server.")
    ap.add_argument("--port-file", required=True, help="where to write the port number once listening")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--account", action="append", metavar="NAME:BASE64KEY",
                    help="an account (repeatable); default devstoreaccount1 with the well-known Azurite key")
    ap.add_argument("--client", action="append", metavar="ID:SECRET",
                    help="a client id and secret the token endpoint accepts (repeatable); default %s:%s"
                    % DEFAULT_CLIENT)
    ap.add_argument("--federated-token-file", help="client assertions must equal this file's content "
                    "(workload identity); without it any non-empty assertion is accepted")
    ap.add_argument("--identity-header", default=DEFAULT_IDENTITY_HEADER,
                    help="the X-IDENTITY-HEADER value the App Service endpoint wants")
    ap.add_argument("--token-lifetime-s", type=int, default=3600)
    ap.add_argument("--data-dir", help="objects are stored as files under a new folder in here (default: a temp dir)")
    ap.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain) instead of plain HTTP")
    ap.add_argument("--tls-key", help="the PEM private key of --tls-cert")
    ap.add_argument("--verbose", action="store_true", help="one stderr line per request")
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if args.token_lifetime_s < 1:
        ap.error("--token-lifetime-s must be at least 1")

    server = Server((args.host, args.port), args)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    port = server.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, args.port_file)
    sys.stderr.write("storage_server: listening on %s://%s:%d, data in %s\n"
                     % ("https" if args.tls_cert else "http", args.host, port, server.owned_dir))
    sys.stderr.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(server.owned_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
