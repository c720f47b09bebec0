"""The stub provider process: go-plugin handshake (AutoMTLS), tfplugin6 over gRPC on loopback."""

from __future__ import annotations

import base64
import datetime
import gzip
import json
import os
import sys
import threading
from concurrent import futures
from pathlib import Path

import grpc
from tfplugin_proto import tfplugin6_5_pb2 as pb
from tfplugin_proto import tfplugin6_5_pb2_grpc as pb_grpc

from dsaas_infra.stubprovider import values

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"


class Stub(pb_grpc.ProviderServicer):
    def __init__(self, provider: str, snapshot_path: Path, schema_cache: Path | None, stop: threading.Event):
        self.provider = provider
        self.snapshot_path = snapshot_path
        self.schema_cache = schema_cache
        self.stop = stop
        self._snapshot: dict | None = None
        self.ctx = values.Context(provider)

    @property
    def snapshot(self) -> dict:
        if self._snapshot is None:
            self._snapshot = json.loads(gzip.decompress(self.snapshot_path.read_bytes()))
        return self._snapshot

    def GetMetadata(self, request, context):
        resp = pb.GetMetadata.Response()
        resp.server_capabilities.plan_destroy = True
        for name in self.snapshot["resources"]:
            resp.resources.append(pb.GetMetadata.ResourceMetadata(type_name=name))
        for name in self.snapshot["data_sources"]:
            resp.data_sources.append(pb.GetMetadata.DataSourceMetadata(type_name=name))
        return resp

    def GetProviderSchema(self, request, context):
        if self.schema_cache and self.schema_cache.is_file():
            resp = pb.GetProviderSchema.Response.FromString(self.schema_cache.read_bytes())
        else:
            from dsaas_infra.stubprovider.schema import provider_schema

            resp = provider_schema(self.snapshot)
        only = _only_types(self.provider)
        if only is not None:  # serve just the types the configuration uses: Terraform decodes less
            for section, keep in (("resource_schemas", only.get("resources", ())),
                                  ("data_source_schemas", only.get("data_sources", ()))):
                entries = getattr(resp, section)
                for name in [n for n in entries if n not in keep]:
                    del entries[name]
        return resp

    def ValidateProviderConfig(self, request, context):
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request, context):
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request, context):
        return pb.ValidateDataResourceConfig.Response()

    def ConfigureProvider(self, request, context):
        self.ctx = values.Context(self.provider, values.decode(request.config.msgpack))
        return pb.ConfigureProvider.Response()

    def UpgradeResourceState(self, request, context):
        raw = request.raw_state.json
        state = json.loads(raw) if raw else None
        return pb.UpgradeResourceState.Response(upgraded_state=pb.DynamicValue(json=json.dumps(state).encode()))

    def ReadResource(self, request, context):
        return pb.ReadResource.Response(new_state=request.current_state, private=request.private)

    def PlanResourceChange(self, request, context):
        proposed = values.decode(request.proposed_new_state.msgpack)
        if proposed is None:  # destroy
            return pb.PlanResourceChange.Response(planned_state=request.proposed_new_state)
        schema = self.snapshot["resources"].get(request.type_name, {})
        planned = values.plan(schema, proposed)
        return pb.PlanResourceChange.Response(planned_state=pb.DynamicValue(msgpack=values.encode(planned)),
                                              legacy_type_system=True)

    def ApplyResourceChange(self, request, context):
        return pb.ApplyResourceChange.Response(diagnostics=[pb.Diagnostic(
            severity=pb.Diagnostic.ERROR, summary="stub provider",
            detail=f"{self.provider} is a stub provider for offline validation and plan; it cannot apply")])

    def ImportResourceState(self, request, context):
        return pb.ImportResourceState.Response(diagnostics=[pb.Diagnostic(
            severity=pb.Diagnostic.ERROR, summary="stub provider", detail="a stub provider cannot import")])

    def ReadDataSource(self, request, context):
        config = values.decode(request.config.msgpack)
        schema = self.snapshot["data_sources"].get(request.type_name, {})
        state = values.read_data(schema, config, self.ctx, request.type_name)
        return pb.ReadDataSource.Response(state=pb.DynamicValue(msgpack=values.encode(state)))

    def GetFunctions(self, request, context):
        return pb.GetFunctions.Response()

    def StopProvider(self, request, context):
        return pb.StopProvider.Response()


def _only_types(provider: str) -> dict | None:
    """$DSAAS_STUB_TYPES names a JSON file {provider: {"resources": [...], "data_sources": [...]}}."""
    path = os.environ.get("DSAAS_STUB_TYPES")
    if not path:
        return None
    try:
        return json.loads(Path(path).read_text()).get(provider)
    except (OSError, ValueError):
        return None


def _raw(fn):
    return grpc.unary_unary_rpc_method_handler(fn, request_deserializer=lambda b: b,
                                               response_serializer=lambda b: b)


def _tls(client_cert_pem: str) -> tuple[grpc.ServerCredentials, str]:
    """Server credentials, and our certificate for the handshake (Terraform pins it: server authentication).

    Terraform's client certificate is a P-521 ECDSA key, which gRPC's TLS stack (BoringSSL) no longer
    verifies, so the client is not authenticated: the stub holds no secrets and listens on loopback only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(seconds=30)).not_valid_after(now + datetime.timedelta(hours=12))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                         data_encipherment=False, key_agreement=True, key_cert_sign=True,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH,
                                                  x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    creds = grpc.ssl_server_credentials([(key_pem, cert_pem)])
    der = cert.public_bytes(serialization.Encoding.DER)
    return creds, base64.b64encode(der).decode().rstrip("=")


def serve(provider: str, snapshot_path: Path, schema_cache: Path | None = None) -> int:
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE:
        sys.stderr.write(f"This is a stub Terraform provider ({provider}) for offline validation; it is started "
                         f"by Terraform, not by hand.\n")
        return 1
    stop = threading.Event()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8),
                         options=[("grpc.max_receive_message_length", 256 << 20),
                                  ("grpc.max_send_message_length", 256 << 20)])
    pb_grpc.add_ProviderServicer_to_server(Stub(provider, snapshot_path, schema_cache, stop), server)

    def shutdown(_request, _context):
        # answer first, then leave at once: Terraform waits for the process after this call
        threading.Timer(0.05, lambda: os._exit(0)).start()
        stop.set()
        return b""

    server.add_generic_rpc_handlers([
        grpc.method_handlers_generic_handler("plugin.GRPCController", {"Shutdown": _raw(shutdown)}),
        grpc.method_handlers_generic_handler("grpc.health.v1.Health", {"Check": _raw(lambda r, c: b"\x08\x01")}),
    ])
    client_cert = os.environ.get("PLUGIN_CLIENT_CERT")
    if client_cert:
        creds, server_cert = _tls(client_cert)
        port = server.add_secure_port("127.0.0.1:0", creds)
    else:
        server_cert = ""
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"1|6|tcp|127.0.0.1:{port}|grpc|{server_cert}\n")
    sys.stdout.flush()
    try:
        stop.wait()
    except KeyboardInterrupt:  # Terraform interrupts its plugins on ^C; it then kills or shuts them down
        pass
    server.stop(grace=0.1)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    provider, snapshot = args[0], Path(args[1])
    cache = Path(args[2]) if len(args) > 2 else None
    return serve(provider, snapshot, cache)


if __name__ == "__main__":
    raise SystemExit(main())
