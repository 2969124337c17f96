#!/usr/bin/env python3
"""Proof that storage_server.py speaks the Azure Storage protocol as Azure does: the official Python SDKs
(azure-storage-blob, azure-storage-file-datalake, azure-identity) run against it and their results are checked.

Run with the azure venv's python (tests/python/setup-venv.sh azure makes it):
    build/azure-venv/bin/python tests/azure/check_server_sdk.py
Prints one line per check and "ok: sdk" at the end; exits 1 on any failure (every check still runs).
"""

import base64
import datetime
import ipaddress
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "storage_server.py")
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
OTHER_KEY = base64.b64encode(b"not the account key, 32 bytes!!!").decode()
SECOND_ACCOUNT, SECOND_KEY = "hqmlsecond", base64.b64encode(b"the second account's own key....").decode()
TENANT = "hqml-tenant"
CLIENT_ID, CLIENT_SECRET = "hqml-client", "hqml-secret"
IDENTITY_HEADER = "hqml-identity-header"
STORAGE_SCOPE = "https://storage.azure.com/.default"

try:
    import requests
    from azure.core import MatchConditions
    from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceExistsError,
                                       ResourceModifiedError, ResourceNotFoundError)
    from azure.storage.blob import (AccountSasPermissions, BlobBlock, BlobSasPermissions, BlobServiceClient,
                                    ContainerClient, ContainerSasPermissions, ContentSettings, LinearRetry,
                                    ResourceTypes, BlobClient, generate_account_sas, generate_blob_sas,
                                    generate_container_sas)
    from azure.storage.filedatalake import (DataLakeServiceClient, FileSystemClient, FileSystemSasPermissions,
                                            generate_directory_sas, generate_file_system_sas)
except ImportError as e:  # run outside the azure venv
    print("check_server_sdk: the azure SDKs are missing (%s): run it with build/azure-venv/bin/python, made by "
          "tests/python/setup-venv.sh azure" % e)
    sys.exit(1)

failures = []
RNG = random.Random(20240611)


def rand_bytes(n):
    return RNG.randbytes(n)


def check(name):
    """Decorator: runs the check now, prints ok/FAIL, records failures and goes on."""

    def run(fn):
        t0 = time.time()
        try:
            detail = fn()
            print("ok: %s%s (%.2f s)" % (name, (" - " + detail) if detail else "", time.time() - t0), flush=True)
        except Exception as e:  # every check runs even when one fails
            failures.append(name)
            print("FAIL: %s: %s: %s" % (name, type(e).__name__, str(e).splitlines()[0] if str(e) else ""),
                  flush=True)
            traceback.print_exc(file=sys.stdout)
        return fn

    return run


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_error(exc_type, fn, code=None, status=None):
    try:
        fn()
    except exc_type as e:
        got = getattr(e, "error_code", None)
        if got is None and getattr(e, "response", None) is not None:
            got = e.response.headers.get("x-ms-error-code")  # errors from the generated layer carry no error_code
        if code is not None and got != code:
            raise AssertionError("wanted error code %s, got %s (%s)" % (code, got, str(e).splitlines()[0]))
        sc = getattr(getattr(e, "response", None), "status_code", None) or getattr(e, "status_code", None)
        if status is not None and sc != status:
            raise AssertionError("wanted status %s, got %s" % (status, sc))
        return e
    raise AssertionError("wanted %s%s, got success" % (exc_type.__name__, " " + code if code else ""))


class LoopbackServer:
    def __init__(self, workdir, name, extra=()):
        self.port_file = os.path.join(workdir, name + ".port")
        self.log_path = os.path.join(workdir, name + ".stderr")
        self.log = open(self.log_path, "w")
        # -S: no site-packages, so the server shows it needs the standard library only.
        self.proc = subprocess.Popen([sys.executable, "-S", SERVER, "--port-file", self.port_file] + list(extra),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("storage_server.py did not start: " + open(self.log_path).read()[-2000:])
            time.sleep(0.05)
        self.port = int(open(self.port_file).read())
        self.scheme = "https" if "--tls-cert" in extra else "http"
        self.base = "%s://127.0.0.1:%d" % (self.scheme, self.port)
        self.account_url = self.base + "/" + ACCOUNT

    def reset(self):
        requests.post(self.base + "/__hqml/reset", timeout=10).raise_for_status()

    def faults(self, rules):
        requests.post(self.base + "/__hqml/faults", json=rules, timeout=10).raise_for_status()

    def log_entries(self):
        r = requests.get(self.base + "/__hqml/log", timeout=10)
        r.raise_for_status()
        return r.json()

    def stop(self):
        self.proc.terminate()
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "killed"
        self.log.close()
        return rc


def quick_retry():
    # The storage SDK's retry ignores Retry-After and by default waits 15 s +- 3 s: make it quick for the test.
    return LinearRetry(backoff=0.05, random_jitter_range=0, retry_total=3)


def shared_key():
    return {"account_name": ACCOUNT, "account_key": KEY}


def make_tls_cert(workdir):
    """A self-signed certificate for 127.0.0.1 (cryptography comes with msal/azure-identity), or None."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        return None
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hqml loopback storage")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(workdir, "tls.crt"), os.path.join(workdir, "tls.key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def main():
    # The SDKs log the failures the checks provoke on purpose (wrong secrets, truncated bodies) as warnings.
    logging.getLogger("azure").setLevel(logging.ERROR)
    workdir = tempfile.mkdtemp(prefix="hqml-azure-check-")
    data_dir = os.path.join(workdir, "data")
    srv = LoopbackServer(workdir, "plain", ["--data-dir", data_dir, "--account", "%s:%s" % (ACCOUNT, KEY),
                                            "--account", "%s:%s" % (SECOND_ACCOUNT, SECOND_KEY)])
    print("server: %s (stderr in %s)" % (srv.base, srv.log_path), flush=True)
    tls_srv = None
    try:
        run_blob(srv)
        run_server_options(srv, data_dir)
        run_sas(srv)
        run_dfs(srv)
        run_faults(srv)
        run_tokens_plain(srv)
        cert = make_tls_cert(workdir)
        if cert is None:
            failures.append("tls certificate")
            print("FAIL: tls certificate: the cryptography package is missing, so no HTTPS server for "
                  "azure-identity (MSAL insists on https authorities)")
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = cert[0]  # requests (under azure-core and msal) trusts it
            fed = os.path.join(workdir, "federated-token")
            with open(fed, "w") as f:
                f.write("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6aHFtbCJ9.c2ln\n")
            tls_srv = LoopbackServer(workdir, "tls", ["--tls-cert", cert[0], "--tls-key", cert[1],
                                                      "--federated-token-file", fed, "--token-lifetime-s", "5"])
            print("server: %s (stderr in %s)" % (tls_srv.base, tls_srv.log_path), flush=True)
            run_identity(tls_srv, fed)
    finally:
        rc = srv.stop()
        if tls_srv is not None:
            tls_rc = tls_srv.stop()
        else:
            tls_rc = 0

    @check("SIGTERM ends the server cleanly and removes its objects from --data-dir")
    def _():
        expect(rc == 0, "exit status %s after SIGTERM" % rc)
        expect(tls_rc == 0, "TLS server exit status %s after SIGTERM" % tls_rc)
        left = [os.path.join(d, f) for d, _, fs in os.walk(data_dir) for f in fs]
        expect(os.path.isdir(data_dir) and not left, "left behind: %r" % left[:5])

    for path in (srv.log_path,) + ((tls_srv.log_path,) if tls_srv else ()):
        text = open(path).read()
        if "Traceback" in text:
            failures.append("server stderr")
            print("FAIL: server stderr holds a traceback (%s):\n%s" % (path, text[-4000:]))
    if failures:
        print("FAILED: %d check(s): %s (servers' stderr kept in %s)" % (len(failures), ", ".join(failures), workdir))
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    print("ok: sdk")
    return 0


# ---------------------------------------------------------------------------------------------------------
# Blob with SharedKey


def run_blob(srv):
    svc = BlobServiceClient(srv.account_url, credential=shared_key(), retry_policy=quick_retry())
    cont = svc.get_container_client("blobs")
    small = rand_bytes(100_000)
    big = rand_bytes(1_500_000 + 17)

    @check("blob: create container (and 409 ContainerAlreadyExists the second time)")
    def _():
        cont.create_container(metadata={"purpose": "hqml"})
        expect_error(ResourceExistsError, cont.create_container, "ContainerAlreadyExists", 409)
        props = cont.get_container_properties()
        expect(props.metadata == {"purpose": "hqml"}, "container metadata %r" % props.metadata)

    @check("blob: list containers with a prefix")
    def _():
        svc.create_container("other-one")
        names = [c.name for c in svc.list_containers(name_starts_with="bl")]
        expect(names == ["blobs"], "names %r" % names)
        names = sorted(c.name for c in svc.list_containers())
        expect(names == ["blobs", "other-one"], "names %r" % names)
        svc.delete_container("other-one")

    @check("blob: single-shot upload, properties, full download")
    def _():
        bc = cont.get_blob_client("small.bin")
        bc.upload_blob(small, content_settings=ContentSettings(content_type="application/x-hqml"),
                       metadata={"k": "v"})
        props = bc.get_blob_properties()
        expect(props.size == len(small), "size %d" % props.size)
        expect(props.content_settings.content_type == "application/x-hqml", "content type")
        expect(props.metadata == {"k": "v"}, "metadata %r" % props.metadata)
        expect(props.etag and props.last_modified, "etag/last-modified")
        expect(props.blob_type == "BlockBlob", "blob type %s" % props.blob_type)
        expect(bc.download_blob().readall() == small, "content")
        puts = [e for e in srv.log_entries() if e["method"] == "PUT" and e["path"].endswith("/small.bin")]
        expect(len(puts) == 1 and puts[0]["query"] == "" and puts[0]["bytes_in"] == len(small),
               "one Put Blob: %r" % puts)

    @check("blob: staged upload (Put Block x N + Put Block List), ranged downloads")
    def _():
        bc = BlobClient(srv.account_url, "blobs", "dir/big.bin", credential=shared_key(),
                        max_single_put_size=256 * 1024, max_block_size=256 * 1024, max_chunk_get_size=300_000,
                        max_single_get_size=300_000, retry_policy=quick_retry())
        bc.upload_blob(big)
        log = [e for e in srv.log_entries() if e["path"].endswith("/dir/big.bin") and e["method"] == "PUT"]
        blocks = [e for e in log if "comp=block&" in e["query"] or e["query"].startswith("comp=block&")]
        lists = [e for e in log if "comp=blocklist" in e["query"]]
        expect(len(blocks) == 6 and len(lists) == 1, "%d Put Block, %d Put Block List" % (len(blocks), len(lists)))
        expect(bc.download_blob().readall() == big, "full content (chunked download)")
        for off, ln in ((0, 1), (1000, 5000), (len(big) - 10, 10), (262_000, 300_000), (5, len(big) - 5)):
            got = bc.download_blob(offset=off, length=ln).readall()
            expect(got == big[off:off + ln], "range %d+%d" % (off, ln))
        ranges = [e["range"] for e in srv.log_entries() if e["method"] == "GET" and e["path"].endswith("big.bin")]
        expect("bytes=1000-5999" in ranges, "x-ms-range seen: %r" % ranges[:8])
        committed, uncommitted = bc.get_block_list("all")
        expect(len(committed) == 6 and not uncommitted, "block list %d/%d" % (len(committed), len(uncommitted)))
        return "6 blocks"

    @check("blob: 416 InvalidRange past the end; empty blob downloads as b''")
    def _():
        bc = cont.get_blob_client("small.bin")
        expect_error(HttpResponseError, lambda: bc.download_blob(offset=len(small) + 5, length=3).readall(),
                     "InvalidRange", 416)
        empty = cont.get_blob_client("empty.bin")
        empty.upload_blob(b"")
        expect(empty.download_blob().readall() == b"", "empty content")
        expect(empty.get_blob_properties().size == 0, "empty size")

    @check("blob: uncommitted blocks are invisible until committed")
    def _():
        bc = cont.get_blob_client("staged.bin")
        bc.stage_block("YmxvY2stMDAx", b"A" * 1000)
        bc.stage_block("YmxvY2stMDAy", b"B" * 500)
        expect_error(ResourceNotFoundError, bc.get_blob_properties, status=404)
        expect_error(ResourceNotFoundError, lambda: bc.download_blob().readall(), "BlobNotFound", 404)
        expect("staged.bin" not in [b.name for b in cont.list_blobs()], "listed before commit")
        committed, uncommitted = bc.get_block_list("all")
        expect(not committed and len(uncommitted) == 2, "uncommitted %d" % len(uncommitted))
        bc.commit_block_list([BlobBlock("YmxvY2stMDAy"), BlobBlock("YmxvY2stMDAx")])
        expect(bc.download_blob().readall() == b"B" * 500 + b"A" * 1000, "committed order")
        expect_error(HttpResponseError, lambda: bc.commit_block_list([BlobBlock("bm9wZS0wMDAx")]),
                     "InvalidBlockList", 400)

    @check("blob: conditional writes (If-None-Match: *, If-Match)")
    def _():
        bc = cont.get_blob_client("small.bin")
        expect_error(ResourceExistsError, lambda: bc.upload_blob(b"x", overwrite=False), "BlobAlreadyExists", 409)
        etag = bc.get_blob_properties().etag
        bc.upload_blob(small, overwrite=True, etag=etag, match_condition=MatchConditions.IfNotModified)
        expect_error(ResourceModifiedError, lambda: bc.upload_blob(b"y", overwrite=True, etag=etag,
                                                                   match_condition=MatchConditions.IfNotModified),
                     "ConditionNotMet", 412)
        fresh = cont.get_blob_client("fresh.bin")
        fresh.upload_blob(b"first", overwrite=False)
        expect(fresh.download_blob().readall() == b"first", "fresh content")

    @check("blob: list with prefix, pages (results_per_page) and a delimiter")
    def _():
        for i in range(7):
            cont.upload_blob("list/item-%02d" % i, b"%d" % i)
        cont.upload_blob("list/sub/deep", b"deep")
        pages = [[b.name for b in page] for page in
                 cont.list_blobs(name_starts_with="list/item-", results_per_page=3).by_page()]
        expect([len(p) for p in pages] == [3, 3, 1], "page sizes %r" % [len(p) for p in pages])
        expect(sum(pages, []) == ["list/item-%02d" % i for i in range(7)], "names %r" % pages)
        markers = [e["query"] for e in srv.log_entries() if "comp=list" in e["query"] and "marker=" in e["query"]]
        expect(len(markers) == 2, "two follow-up pages with a marker: %r" % markers)
        walked = [(type(b).__name__, b.name) for b in cont.walk_blobs(name_starts_with="list/", delimiter="/")]
        prefixes = [n for t, n in walked if t == "BlobPrefix"]
        expect(prefixes == ["list/sub/"], "prefixes %r" % prefixes)
        # Hierarchical namespace: the directories are zero-length blobs with hdi_isfolder metadata.
        dirs = {b.name: b.metadata for b in cont.list_blobs(name_starts_with="list", include=["metadata"])
                if b.size == 0}
        expect(dirs == {"list": {"hdi_isfolder": "true"}, "list/sub": {"hdi_isfolder": "true"}}, "dirs %r" % dirs)

    @check("blob: delete blob (then 404 BlobNotFound), delete container")
    def _():
        bc = cont.get_blob_client("fresh.bin")
        bc.delete_blob()
        expect_error(ResourceNotFoundError, bc.get_blob_properties, status=404)
        expect_error(ResourceNotFoundError, bc.delete_blob, "BlobNotFound", 404)
        tmp = svc.create_container("doomed")
        tmp.upload_blob("x/y", b"z")
        tmp.delete_container()
        expect_error(ResourceNotFoundError, tmp.get_container_properties, status=404)
        expect_error(ResourceNotFoundError, lambda: tmp.upload_blob("a", b"b"), "ContainerNotFound", 404)

    @check("blob: a wrong account key gets 403 AuthenticationFailed (ClientAuthenticationError)")
    def _():
        bad = BlobServiceClient(srv.account_url, credential={"account_name": ACCOUNT, "account_key": OTHER_KEY},
                                retry_policy=quick_retry())
        e = expect_error(ClientAuthenticationError, lambda: bad.get_container_client("blobs")
                         .get_container_properties(), "AuthenticationFailed", 403)
        expect_error(ClientAuthenticationError, lambda: list(bad.list_containers()), "AuthenticationFailed", 403)
        stderr = open(srv.log_path).read()
        expect("string-to-sign" in stderr, "the server log says why")
        return "error code %s" % e.error_code

    @check("blob: no secret in any URL under SharedKey")
    def _():
        entries = srv.log_entries()
        expect(entries and all(e["auth"] in ("sharedkey", "none") for e in entries), "auth kinds")
        expect(not any("sig=" in e["query"] or KEY[:20] in e["query"] for e in entries), "a signature in a URL")


# ---------------------------------------------------------------------------------------------------------
# Server options


def run_server_options(srv, data_dir):
    @check("server: objects live as files under --data-dir, streamed (a 3 MiB blob is a 3 MiB file)")
    def _():
        svc = BlobServiceClient(srv.account_url, credential=shared_key())
        blob = svc.get_blob_client("blobs", "on-disk.bin")
        blob.upload_blob(rand_bytes(3 << 20))
        sizes = [os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(data_dir) for f in fs]
        expect((3 << 20) in sizes, "no 3 MiB file under %s: %r" % (data_dir, sorted(sizes)[-5:]))
        blob.delete_blob()
        sizes = [os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(data_dir) for f in fs]
        expect((3 << 20) not in sizes, "the deleted blob's file is still there")

    @check("server: a second --account NAME:KEY is served with its own key only")
    def _():
        url = srv.base + "/" + SECOND_ACCOUNT
        second = BlobServiceClient(url, credential={"account_name": SECOND_ACCOUNT, "account_key": SECOND_KEY})
        second.create_container("own").upload_blob("x", b"second")
        expect(second.get_blob_client("own", "x").download_blob().readall() == b"second", "content")
        expect([c.name for c in second.list_containers()] == ["own"], "its own containers only")
        wrong = BlobServiceClient(url, credential={"account_name": SECOND_ACCOUNT, "account_key": KEY},
                                  retry_policy=quick_retry())
        expect_error(ClientAuthenticationError, lambda: list(wrong.list_containers()), "AuthenticationFailed", 403)
        second.delete_container("own")


# ---------------------------------------------------------------------------------------------------------
# SAS


def run_sas(srv):
    now = datetime.datetime.now(datetime.timezone.utc)
    expiry = now + datetime.timedelta(hours=1)
    svc = BlobServiceClient(srv.account_url, credential=shared_key(), retry_policy=quick_retry())
    cont = svc.create_container("sas")
    payload = rand_bytes(70_000)
    cont.upload_blob("one.bin", payload)
    cont.upload_blob("two.bin", b"two")
    srv.reset()

    @check("sas: generate_blob_sas (read) downloads; writing with it is 403 AuthorizationPermissionMismatch")
    def _():
        sas = generate_blob_sas(ACCOUNT, "sas", "one.bin", account_key=KEY, permission=BlobSasPermissions(read=True),
                                expiry=expiry)
        bc = BlobClient.from_blob_url(srv.account_url + "/sas/one.bin?" + sas, retry_policy=quick_retry())
        expect(bc.download_blob().readall() == payload, "content")
        expect(bc.get_blob_properties().size == len(payload), "properties")
        expect_error(HttpResponseError, lambda: bc.upload_blob(b"no", overwrite=True),
                     "AuthorizationPermissionMismatch", 403)
        other = BlobClient.from_blob_url(srv.account_url + "/sas/two.bin?" + sas, retry_policy=quick_retry())
        expect_error(ClientAuthenticationError, lambda: other.download_blob().readall(), "AuthenticationFailed", 403)
        entries = [e for e in srv.log_entries() if e["auth"] == "sas"]
        expect(entries and all("sig=" in e["query"] for e in entries), "the SAS travels in the query")
        return "sv=%s" % dict(p.split("=", 1) for p in sas.split("&"))["sv"]

    @check("sas: generate_container_sas (read, list, write, create) lists and uploads; delete is refused")
    def _():
        sas = generate_container_sas(ACCOUNT, "sas", account_key=KEY, expiry=expiry,
                                     permission=ContainerSasPermissions(read=True, list=True, write=True,
                                                                        create=True))
        cc = ContainerClient.from_container_url(srv.account_url + "/sas?" + sas, retry_policy=quick_retry())
        cc.upload_blob("three.bin", b"three")
        big = rand_bytes(600_000)
        bc = cc.get_blob_client("staged.bin")
        bc._config.max_single_put_size = bc._config.max_block_size = 256 * 1024
        bc.upload_blob(big)
        expect(bc.download_blob().readall() == big, "staged via SAS")
        names = sorted(b.name for b in cc.list_blobs())
        expect(names == ["one.bin", "staged.bin", "three.bin", "two.bin"], "names %r" % names)
        expect_error(HttpResponseError, lambda: cc.delete_blob("three.bin"), "AuthorizationPermissionMismatch", 403)
        expect_error(HttpResponseError, cc.delete_container, status=403)

    @check("sas: generate_account_sas (service, container, object) for list/create/write/read/delete")
    def _():
        sas = generate_account_sas(ACCOUNT, KEY, ResourceTypes(service=True, container=True, object=True),
                                   AccountSasPermissions(read=True, list=True, write=True, create=True, delete=True),
                                   expiry=expiry)
        asvc = BlobServiceClient(srv.account_url, credential=sas, retry_policy=quick_retry())
        expect("sas" in [c.name for c in asvc.list_containers()], "list containers")
        c2 = asvc.create_container("by-account-sas")
        c2.upload_blob("f", b"data")
        expect(c2.download_blob("f").readall() == b"data", "round trip")
        c2.delete_blob("f")
        c2.delete_container()
        only_obj = generate_account_sas(ACCOUNT, KEY, ResourceTypes(object=True), AccountSasPermissions(read=True),
                                        expiry=expiry)
        osvc = BlobServiceClient(srv.account_url, credential=only_obj, retry_policy=quick_retry())
        expect(osvc.get_blob_client("sas", "one.bin").download_blob().readall() == payload, "object read")
        expect_error(HttpResponseError, lambda: list(osvc.list_containers()), "AuthorizationResourceTypeMismatch",
                     403)

    @check("sas: expired, not yet valid and tampered signatures are 403 AuthenticationFailed")
    def _():
        past = generate_blob_sas(ACCOUNT, "sas", "one.bin", account_key=KEY, permission="r",
                                 start=now - datetime.timedelta(hours=2), expiry=now - datetime.timedelta(hours=1))
        future = generate_blob_sas(ACCOUNT, "sas", "one.bin", account_key=KEY, permission="r",
                                   start=now + datetime.timedelta(hours=1), expiry=now + datetime.timedelta(hours=2))
        good = generate_blob_sas(ACCOUNT, "sas", "one.bin", account_key=KEY, permission="r", expiry=expiry)
        tampered = good.replace("sp=r", "sp=rw")
        wrong_key = generate_blob_sas(ACCOUNT, "sas", "one.bin", account_key=OTHER_KEY, permission="r",
                                      expiry=expiry)
        for sas in (past, future, tampered, wrong_key):
            bc = BlobClient.from_blob_url(srv.account_url + "/sas/one.bin?" + sas, retry_policy=quick_retry())
            expect_error(ClientAuthenticationError, lambda: bc.download_blob().readall(), "AuthenticationFailed",
                         403)

    @check("sas: https-only SAS on plain http is 403 AuthorizationProtocolMismatch")
    def _():
        sas = generate_blob_sas(ACCOUNT, "sas", "one.bin", account_key=KEY, permission="r", expiry=expiry,
                                protocol="https")
        bc = BlobClient.from_blob_url(srv.account_url + "/sas/one.bin?" + sas, retry_policy=quick_retry())
        expect_error(HttpResponseError, lambda: bc.download_blob().readall(), "AuthorizationProtocolMismatch", 403)

    @check("sas: datalake generate_file_system_sas and generate_directory_sas (sr=d, sdd) drive the dfs calls")
    def _():
        dl = DataLakeServiceClient(srv.account_url, credential=shared_key(), retry_policy=quick_retry())
        dl.create_file_system("sasfs")
        sas = generate_file_system_sas(ACCOUNT, "sasfs", KEY, expiry=expiry,
                                       permission=FileSystemSasPermissions(read=True, write=True, create=True,
                                                                           list=True, delete=True, move=True))
        fs = FileSystemClient(srv.account_url, "sasfs", credential=sas, retry_policy=quick_retry())
        d = fs.create_directory("top/mid")
        f = d.create_file("f.txt")
        f.append_data(b"hello", 0, 5)
        f.flush_data(5)
        expect(f.download_file().readall() == b"hello", "content")
        f.rename_file("sasfs/top/g.txt")
        names = [p.name for p in fs.get_paths(recursive=True)]
        expect(names == ["top", "top/g.txt", "top/mid"], "paths %r" % names)
        dsas = generate_directory_sas(ACCOUNT, "sasfs", "top/mid", KEY, expiry=expiry,
                                      permission=FileSystemSasPermissions(read=True, write=True, create=True))
        q = dict(p.split("=", 1) for p in dsas.split("&"))
        expect(q.get("sr") == "d" and q.get("sdd") == "2", "sr=%s sdd=%s" % (q.get("sr"), q.get("sdd")))
        dfs_client = FileSystemClient(srv.account_url, "sasfs", credential=dsas, retry_policy=quick_retry())
        inner = dfs_client.get_file_client("top/mid/inner.txt")
        inner.upload_data(b"inside", overwrite=True)
        expect(inner.download_file().readall() == b"inside", "inside the directory")
        outer = dfs_client.get_file_client("top/outside.txt")
        expect_error(ClientAuthenticationError, lambda: outer.upload_data(b"x", overwrite=True),
                     "AuthenticationFailed", 403)
        dl.delete_file_system("sasfs")


# ---------------------------------------------------------------------------------------------------------
# ADLS Gen2 (dfs) with SharedKey


def run_dfs(srv):
    dl = DataLakeServiceClient(srv.account_url, credential=shared_key(), retry_policy=quick_retry())
    fs = dl.get_file_system_client("lake")
    content = rand_bytes(300_000)

    @check("dfs: create file system (a second create is 409: the SDK creates file systems through Blob)")
    def _():
        fs.create_file_system()
        expect_error(ResourceExistsError, fs.create_file_system, status=409)
        expect(fs.exists(), "exists")

    @check("dfs: create directory and file; append_data + flush_data; data visible only after flush")
    def _():
        d = fs.create_directory("raw/2024")
        expect(d.exists(), "directory exists")
        f = fs.create_file("raw/2024/part-0.bin")
        pos = 0
        for piece in (content[:100_000], content[100_000:250_000], content[250_000:]):
            f.append_data(piece, offset=pos, length=len(piece))
            pos += len(piece)
        expect(f.get_file_properties().size == 0, "size before flush")
        expect(f.download_file().readall() == b"", "content before flush")
        f.flush_data(pos)
        expect(f.get_file_properties().size == len(content), "size after flush")
        expect(f.download_file().readall() == content, "content after flush")
        for off, ln in ((0, 10), (123_456, 54_321), (len(content) - 1, 1)):
            expect(f.download_file(offset=off, length=ln).readall() == content[off:off + ln], "range %d" % off)
        log = srv.log_entries()
        expect(any("action=append" in e["query"] and e["method"] == "PATCH" for e in log), "PATCH append seen")
        expect(any("action=flush" in e["query"] for e in log), "PATCH flush seen")
        expect(any("resource=directory" in e["query"] for e in log), "PUT resource=directory seen")

    @check("dfs: flush at a wrong position is 400 InvalidFlushPosition; create with If-None-Match: * is 409")
    def _():
        f = fs.get_file_client("raw/2024/part-0.bin")
        f.append_data(b"tail", offset=len(content), length=4)
        expect_error(HttpResponseError, lambda: f.flush_data(len(content) + 10), "InvalidFlushPosition", 400)
        expect_error(HttpResponseError, lambda: f.flush_data(len(content) - 5), "InvalidFlushPosition", 400)
        f.flush_data(len(content) + 4)
        expect(f.download_file(offset=len(content)).readall() == b"tail", "tail flushed")
        expect_error(ResourceExistsError, lambda: f.create_file(match_condition=MatchConditions.IfMissing),
                     "PathAlreadyExists", 409)
        expect_error(ResourceExistsError, lambda: f.upload_data(b"x", overwrite=False), "PathAlreadyExists", 409)
        g = fs.get_file_client("raw/2024/part-1.bin")
        g.create_file(match_condition=MatchConditions.IfMissing)
        expect(g.get_file_properties().size == 0, "new file")

    @check("dfs: get_paths recursive / one level / paged (max_results) with x-ms-continuation")
    def _():
        fs.create_directory("raw/2025")
        fs.create_file("raw/2025/a.bin")
        fs.create_file("raw-other.txt")
        names = [p.name for p in fs.get_paths(recursive=True)]
        expect(names == ["raw", "raw/2024", "raw/2024/part-0.bin", "raw/2024/part-1.bin", "raw/2025",
                         "raw/2025/a.bin", "raw-other.txt"], "recursive %r" % names)
        top = [(p.name, p.is_directory) for p in fs.get_paths(recursive=False)]
        expect(top == [("raw", True), ("raw-other.txt", False)], "top %r" % top)
        sub = [p.name for p in fs.get_paths(path="raw/2024", recursive=False)]
        expect(sub == ["raw/2024/part-0.bin", "raw/2024/part-1.bin"], "sub %r" % sub)
        pages = [[p.name for p in page] for page in fs.get_paths(recursive=True, max_results=3).by_page()]
        expect([len(p) for p in pages] == [3, 3, 1] and sum(pages, []) == names, "pages %r" % pages)
        p0 = [p for p in fs.get_paths(recursive=True) if p.name == "raw/2024/part-0.bin"][0]
        expect(p0.content_length == len(content) + 4 and not p0.is_directory, "size %r" % p0.content_length)
        expect(p0.creation_time is not None and p0.last_modified is not None, "times")
        expect_error(ResourceNotFoundError, lambda: list(fs.get_paths(path="nope")), "PathNotFound", 404)

    @check("dfs: rename_directory (with contents) and rename_file, atomically")
    def _():
        d = fs.get_directory_client("raw/2025")
        moved = d.rename_directory("lake/archive-2025")
        expect(not d.exists(), "old directory gone")
        expect(moved.get_file_client("a.bin").exists(), "moved file present")
        f = fs.get_file_client("raw-other.txt")
        f.upload_data(b"other", overwrite=True)
        g = f.rename_file("lake/raw/2024/other.txt")
        expect(g.download_file().readall() == b"other", "renamed content")
        expect_error(ResourceNotFoundError, lambda: fs.get_file_client("missing").rename_file("lake/x"),
                     "SourcePathNotFound", 404)
        expect_error(ResourceNotFoundError, lambda: fs.get_file_client("raw/2024/other.txt")
                     .rename_file("lake/no/such/dir/x"), "RenameDestinationParentPathNotFound", 404)
        names = [p.name for p in fs.get_paths(recursive=True)]
        expect(names == ["archive-2025", "archive-2025/a.bin", "raw", "raw/2024", "raw/2024/other.txt",
                         "raw/2024/part-0.bin", "raw/2024/part-1.bin"], "after renames %r" % names)

    @check("dfs: properties/metadata; the blob view sees dfs files and directories")
    def _():
        f = fs.get_file_client("raw/2024/part-0.bin")
        f.set_metadata({"origin": "hqml"})
        props = f.get_file_properties()
        expect(props.metadata == {"origin": "hqml"}, "metadata %r" % props.metadata)
        dprops = fs.get_directory_client("raw").get_directory_properties()
        expect(dprops.metadata.get("hdi_isfolder") == "true", "directory marker %r" % dprops.metadata)
        blob = BlobServiceClient(srv.account_url, credential=shared_key()).get_blob_client("lake",
                                                                                          "raw/2024/part-0.bin")
        expect(blob.download_blob(offset=10, length=20).readall() == content[10:30], "blob read of a dfs file")

    @check("dfs: delete_directory recursive; non-recursive on a non-empty one is 409 DirectoryNotEmpty")
    def _():
        d = fs.get_directory_client("raw")
        expect_error(ResourceExistsError, lambda: d._client.path.delete(recursive=False), "DirectoryNotEmpty", 409)
        d.delete_directory()
        expect(not d.exists(), "deleted")
        names = [p.name for p in fs.get_paths(recursive=True)]
        expect(names == ["archive-2025", "archive-2025/a.bin"], "left %r" % names)
        fs.get_file_client("archive-2025/a.bin").delete_file()
        # A dfs delete of a file carries no dfs query parameter, so the one-port server cannot tell it from
        # Delete Blob and answers BlobNotFound (the dfs endpoint says PathNotFound): only the status is checked.
        expect_error(ResourceNotFoundError, fs.get_file_client("archive-2025/a.bin").delete_file, status=404)
        fs.delete_file_system()
        expect(not fs.exists(), "file system deleted")


# ---------------------------------------------------------------------------------------------------------
# Faults and the request log


def run_faults(srv):
    svc = BlobServiceClient(srv.account_url, credential=shared_key(), retry_policy=quick_retry())
    cont = svc.create_container("faults")
    data = rand_bytes(200_000)
    cont.upload_blob("f.bin", data)

    def gets(path):
        return [e for e in srv.log_entries() if e["method"] == "GET" and e["path"].endswith(path)]

    @check("faults: 503 + Retry-After twice, then success: the SDK retried (3 requests in the log)")
    def _():
        srv.reset()
        srv.faults([{"method": "GET", "path": "/faults/f\\.bin$", "kind": "status", "status": 503,
                     "headers": {"Retry-After": "1"}, "times": 2}])
        expect(cont.download_blob("f.bin").readall() == data, "content")
        seen = gets("/faults/f.bin")
        expect([e["status"] for e in seen] == [503, 503, 206], "statuses %r" % [e["status"] for e in seen])
        expect([e["fault"] for e in seen] == ["status", "status", None], "fault marks")
        r = requests.get(srv.base + "/__hqml/faults", timeout=5).json()
        expect(r and r[0]["times_left"] == 0, "the rule counted down: %r" % r)

    @check("faults: a connection reset, then success")
    def _():
        srv.reset()
        srv.faults([{"method": "GET", "path": "/faults/f\\.bin$", "kind": "reset", "times": 1}])
        expect(cont.download_blob("f.bin").readall() == data, "content")
        seen = gets("/faults/f.bin")
        expect([e["fault"] for e in seen] == ["reset", None], "faults %r" % [e["fault"] for e in seen])

    @check("faults: a body truncated after 1000 bytes (correct Content-Length), the SDK resumes")
    def _():
        srv.reset()
        srv.faults([{"method": "GET", "path": "/faults/f\\.bin$", "kind": "truncate", "after_bytes": 1000,
                     "times": 1}])
        expect(cont.download_blob("f.bin").readall() == data, "content")
        seen = gets("/faults/f.bin")
        expect(seen[0]["fault"] == "truncate" and seen[0]["bytes_out"] == 1000, "first %r" % seen[0])
        expect(len(seen) >= 2, "a second request")

    @check("faults: a slow body (stall 1 s after 64 KiB) still arrives whole")
    def _():
        srv.reset()
        srv.faults([{"method": "GET", "path": "/faults/f\\.bin$", "kind": "slow", "delay_s": 1.0,
                     "after_bytes": 65536, "times": 1}])
        t0 = time.time()
        expect(cont.download_blob("f.bin").readall() == data, "content")
        expect(time.time() - t0 >= 0.95, "took %.2f s" % (time.time() - t0))

    @check("faults: 500 on one Put Block (x-ms-retry-after-ms) then the staged upload completes")
    def _():
        srv.reset()
        srv.faults([{"method": "PUT", "path": "/faults/staged$", "query": "comp=block&", "kind": "status",
                     "status": 500, "headers": {"x-ms-retry-after-ms": "50"}, "times": 1}])
        big = rand_bytes(700_000)
        bc = BlobClient(srv.account_url, "faults", "staged", credential=shared_key(), max_single_put_size=256 * 1024,
                        max_block_size=256 * 1024, retry_policy=quick_retry(), max_concurrency=1)
        bc.upload_blob(big, max_concurrency=1)
        expect(bc.download_blob().readall() == big, "content")
        puts = [e for e in srv.log_entries() if e["method"] == "PUT" and e["path"].endswith("/staged")]
        expect([e["status"] for e in puts].count(500) == 1 and len(puts) == 5, "puts %r" %
               [(e["status"], e["query"][:20]) for e in puts])
        srv.reset()
        cont.delete_container()


# ---------------------------------------------------------------------------------------------------------
# Tokens, plain HTTP (how a libcurl client talks to the loopback server)


def run_tokens_plain(srv):
    svc = BlobServiceClient(srv.account_url, credential=shared_key())
    svc.create_container("tokens").upload_blob("t.txt", b"token data")
    url = srv.account_url + "/tokens/t.txt"

    def get_with(token):
        return requests.get(url, headers={"Authorization": "Bearer " + token, "x-ms-version": "2023-11-03",
                                          "x-ms-date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())},
                            timeout=10)

    @check("tokens (http): client_credentials at /{tenant}/oauth2/v2.0/token, bearer read over plain http")
    def _():
        r = requests.post(srv.base + "/%s/oauth2/v2.0/token" % TENANT, timeout=10,
                          data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                "client_secret": CLIENT_SECRET, "scope": STORAGE_SCOPE})
        expect(r.status_code == 200, "status %d %s" % (r.status_code, r.text))
        body = r.json()
        expect(body["token_type"] == "Bearer" and isinstance(body["expires_in"], int), "shape %r" % body.keys())
        g = get_with(body["access_token"])
        expect(g.status_code == 200 and g.content == b"token data", "bearer read: %d" % g.status_code)
        bad = requests.post(srv.base + "/%s/oauth2/v2.0/token" % TENANT, timeout=10,
                            data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                  "client_secret": "wrong", "scope": STORAGE_SCOPE})
        expect(bad.status_code == 401 and bad.json()["error"] == "invalid_client", "wrong secret %d" %
               bad.status_code)
        noscope = requests.post(srv.base + "/%s/oauth2/v2.0/token" % TENANT, timeout=10,
                                data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                      "client_secret": CLIENT_SECRET, "scope": "https://storage.azure.com"})
        expect(noscope.status_code == 400 and noscope.json()["error"] == "invalid_scope", "scope without .default")
        entries = srv.log_entries()
        expect(not any(CLIENT_SECRET in e["query"] or CLIENT_SECRET in e["path"] for e in entries),
               "the client secret appeared in a URL")

    @check("tokens (http): IMDS needs Metadata: true; App Service needs X-IDENTITY-HEADER; shapes as documented")
    def _():
        r = requests.get(srv.base + "/metadata/identity/oauth2/token",
                         params={"api-version": "2018-02-01", "resource": "https://storage.azure.com/"}, timeout=10)
        expect(r.status_code == 400 and r.json()["error"] == "invalid_request", "without Metadata %d" % r.status_code)
        r = requests.get(srv.base + "/metadata/identity/oauth2/token", headers={"Metadata": "true"}, timeout=10,
                         params={"api-version": "2018-02-01", "resource": "https://storage.azure.com/"})
        body = r.json()
        expect(r.status_code == 200 and isinstance(body["expires_in"], str) and body["expires_on"].isdigit(),
               "imds shape %r" % body)
        expect(get_with(body["access_token"]).status_code == 200, "imds token accepted")
        r = requests.get(srv.base + "/msi/token", headers={"X-IDENTITY-HEADER": "wrong"}, timeout=10,
                         params={"api-version": "2019-08-01", "resource": "https://storage.azure.com"})
        expect(r.status_code == 401, "wrong identity header %d" % r.status_code)
        r = requests.get(srv.base + "/msi/token", headers={"X-IDENTITY-HEADER": IDENTITY_HEADER}, timeout=10,
                         params={"api-version": "2019-08-01", "resource": "https://storage.azure.com"})
        body = r.json()
        expect(r.status_code == 200 and body["expires_on"].isdigit() and "expires_in" not in body,
               "app service shape %r" % body)
        expect(get_with(body["access_token"]).status_code == 200, "app service token accepted")

    @check("tokens (http): another audience, a forged token, no token: 401 + challenge; no x-ms-version: 403")
    def _():
        r = requests.post(srv.base + "/%s/oauth2/v2.0/token" % TENANT, timeout=10,
                          data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                "client_secret": CLIENT_SECRET, "scope": "https://management.azure.com/.default"})
        g = get_with(r.json()["access_token"])
        expect(g.status_code == 401 and g.headers["x-ms-error-code"] == "InvalidAuthenticationInfo", "audience")
        expect("authorization_uri=" in g.headers.get("WWW-Authenticate", ""), "challenge")
        head, payload, sig = r.json()["access_token"].split(".")
        forged = head + "." + base64.urlsafe_b64encode(json.dumps(
            {"aud": "https://storage.azure.com", "exp": int(time.time()) + 600}).encode()).decode().rstrip("=") + \
            "." + sig
        expect(get_with(forged).status_code == 401, "forged token accepted")
        noversion = requests.get(url, headers={"Authorization": "Bearer " + r.json()["access_token"]}, timeout=10)
        expect(noversion.status_code == 403 and noversion.headers["x-ms-error-code"] == "AuthenticationFailed",
               "bearer without x-ms-version %d" % noversion.status_code)
        anon = requests.get(url, timeout=10)
        expect(anon.status_code == 401 and anon.headers["x-ms-error-code"] == "NoAuthenticationInformation",
               "anonymous %d" % anon.status_code)
        svc.delete_container("tokens")


# ---------------------------------------------------------------------------------------------------------
# azure-identity against the token endpoints (HTTPS server: MSAL refuses http authorities)


def run_identity(srv, fed_file):
    from azure.identity import ClientSecretCredential, ManagedIdentityCredential, WorkloadIdentityCredential

    def storage_round_trip(cred, tag):
        svc = BlobServiceClient(srv.account_url, credential=cred, retry_policy=quick_retry())
        cont = svc.create_container("id-" + tag)
        cont.upload_blob("x.bin", b"bearer " + tag.encode())
        expect(cont.download_blob("x.bin").readall() == b"bearer " + tag.encode(), "content")
        names = [b.name for b in cont.list_blobs()]
        expect(names == ["x.bin"], "names %r" % names)
        cont.delete_container()
        entries = [e for e in srv.log_entries() if "/id-" + tag in e["path"]]
        expect(entries and all(e["auth"] == "bearer" and e["status"] < 300 for e in entries),
               "bearer auth accepted: %r" % [(e["auth"], e["status"]) for e in entries])

    @check("identity: ClientSecretCredential(authority=https://127.0.0.1:PORT) + blob and datalake clients")
    def _():
        cred = ClientSecretCredential(TENANT, CLIENT_ID, CLIENT_SECRET, authority=srv.base,
                                      disable_instance_discovery=True)
        tok = cred.get_token(STORAGE_SCOPE)
        expect(tok.token.count(".") == 2 and tok.expires_on > time.time(), "token")
        storage_round_trip(cred, "secret")
        dl = DataLakeServiceClient(srv.account_url, credential=cred, retry_policy=quick_retry())
        fs = dl.create_file_system("id-lake")
        f = fs.create_file("d/f.txt")
        f.append_data(b"abc", 0, 3)
        f.flush_data(3)
        expect([p.name for p in fs.get_paths(recursive=True)] == ["d", "d/f.txt"], "paths")
        fs.get_directory_client("d").delete_directory()
        fs.delete_file_system()
        bad = ClientSecretCredential(TENANT, CLIENT_ID, "wrong-secret", authority=srv.base,
                                     disable_instance_discovery=True)
        expect_error(ClientAuthenticationError, lambda: bad.get_token(STORAGE_SCOPE))
        return "token endpoint reached over https through MSAL"

    @check("identity: MSAL refuses an http:// authority (why the identity checks use the HTTPS server)")
    def _():
        plain = "http://127.0.0.1:%d" % srv.port
        try:
            ClientSecretCredential(TENANT, CLIENT_ID, CLIENT_SECRET, authority=plain,
                                   disable_instance_discovery=True).get_token(STORAGE_SCOPE)
        except (ValueError, ClientAuthenticationError) as e:
            return "refused: %s" % str(e).splitlines()[0][:90]
        raise AssertionError("an http authority was accepted (then the plain server could serve azure-identity)")

    @check("identity: WorkloadIdentityCredential (client assertion = the federated token file)")
    def _():
        cred = WorkloadIdentityCredential(tenant_id=TENANT, client_id="hqml-workload", token_file_path=fed_file,
                                          authority=srv.base, disable_instance_discovery=True)
        storage_round_trip(cred, "workload")
        other = os.path.join(os.path.dirname(fed_file), "other-token")
        with open(other, "w") as f:
            f.write("not.the.token")
        bad = WorkloadIdentityCredential(tenant_id=TENANT, client_id="hqml-workload", token_file_path=other,
                                         authority=srv.base, disable_instance_discovery=True)
        expect_error(ClientAuthenticationError, lambda: bad.get_token(STORAGE_SCOPE))

    saved = {k: os.environ.get(k) for k in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_POD_IDENTITY_AUTHORITY_HOST",
                                            "MSI_ENDPOINT", "IMDS_ENDPOINT", "IDENTITY_SERVER_THUMBPRINT",
                                            "AZURE_FEDERATED_TOKEN_FILE", "MSI_SECRET")}

    def set_env(**values):
        for k in saved:
            os.environ.pop(k, None)
        os.environ.update(values)

    try:
        @check("identity: ManagedIdentityCredential, App Service (IDENTITY_ENDPOINT + IDENTITY_HEADER)")
        def _():
            set_env(IDENTITY_ENDPOINT=srv.base + "/msi/token", IDENTITY_HEADER=IDENTITY_HEADER)
            cred = ManagedIdentityCredential()
            storage_round_trip(cred, "appservice")
            calls = [e for e in srv.log_entries() if e["path"] == "/msi/token"]
            expect(calls and all("api-version=2019-08-01" in e["query"] for e in calls), "msi calls %r" % calls)
            set_env(IDENTITY_ENDPOINT=srv.base + "/msi/token", IDENTITY_HEADER="wrong")
            expect_error(ClientAuthenticationError, lambda: ManagedIdentityCredential().get_token(STORAGE_SCOPE))

        @check("identity: ManagedIdentityCredential, IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST)")
        def _():
            set_env(AZURE_POD_IDENTITY_AUTHORITY_HOST=srv.base)
            cred = ManagedIdentityCredential()
            storage_round_trip(cred, "imds")
            calls = [e for e in srv.log_entries() if e["path"] == "/metadata/identity/oauth2/token"]
            expect(calls and all("api-version=2018-02-01" in e["query"] for e in calls), "imds calls %r" % calls)
    finally:
        set_env(**{k: v for k, v in saved.items() if v is not None})

    @check("identity: an expired token (lifetime 5 s) is 401 InvalidAuthenticationInfo with a challenge")
    def _():
        r = requests.get(srv.base + "/metadata/identity/oauth2/token", headers={"Metadata": "true"}, timeout=10,
                         params={"api-version": "2018-02-01", "resource": "https://storage.azure.com"})
        token = r.json()["access_token"]
        BlobServiceClient(srv.account_url, credential=shared_key()).create_container("expiry")
        hdr = {"Authorization": "Bearer " + token, "x-ms-version": "2023-11-03"}
        ok = requests.get(srv.account_url + "/expiry?restype=container", headers=hdr, timeout=10)
        expect(ok.status_code == 200, "fresh token %d" % ok.status_code)
        time.sleep(max(0.0, int(r.json()["expires_on"]) - time.time()) + 0.5)
        late = requests.get(srv.account_url + "/expiry?restype=container", headers=hdr, timeout=10)
        expect(late.status_code == 401 and late.headers["x-ms-error-code"] == "InvalidAuthenticationInfo",
               "expired token %d" % late.status_code)
        expect("expired" in late.headers.get("WWW-Authenticate", ""), "challenge says expired")


if __name__ == "__main__":
    sys.exit(main())
