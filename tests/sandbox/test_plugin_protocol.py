"""The plugin process itself: handshake, TLS, schema over gRPC, shutdown."""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
from pathlib import Path

import grpc
from pyvider.protocols.tfprotov6.protobuf import tfplugin6_pb2 as pb
from pyvider.protocols.tfprotov6.protobuf import tfplugin6_pb2_grpc as pb_grpc
from pyvider.rpcplugin.protocol import grpc_controller_pb2, grpc_controller_pb2_grpc

from infra_sandbox.cty import UNKNOWN, decode_msgpack, encode_msgpack
from infra_sandbox.install import SandboxInstall
from infra_sandbox.schema import load_schema
from infra_sandbox.server import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE


def _env(sandbox: SandboxInstall) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    env.update(sandbox.env())
    env[MAGIC_COOKIE_KEY] = MAGIC_COOKIE_VALUE
    env["PLUGIN_PROTOCOL_VERSIONS"] = "6"
    return env


def test_plugin_refuses_to_run_outside_terraform(sandbox: SandboxInstall) -> None:
    env = _env(sandbox)
    del env[MAGIC_COOKIE_KEY]
    proc = subprocess.run([str(sandbox.plugin_path)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1
    assert "Terraform plugin" in proc.stderr


def test_handshake_tls_schema_plan_and_shutdown(sandbox: SandboxInstall) -> None:
    proc = subprocess.Popen(
        [str(sandbox.plugin_path)],
        env=_env(sandbox),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        core, app, network, address, protocol, cert_b64 = line.split("|")
        assert (core, app, network, protocol) == ("1", "6", "tcp", "grpc")
        assert address.startswith("127.0.0.1:")
        der = base64.b64decode(cert_b64 + "=" * (-len(cert_b64) % 4))
        pem = ssl.DER_cert_to_PEM_cert(der).encode()
        creds = grpc.ssl_channel_credentials(root_certificates=pem)
        channel = grpc.secure_channel(
            address,
            creds,
            options=[
                ("grpc.ssl_target_name_override", "localhost"),
                ("grpc.max_receive_message_length", 256 << 20),
            ],
        )
        stub = pb_grpc.ProviderStub(channel)
        schema = stub.GetProviderSchema(pb.GetProviderSchema.Request(), timeout=60)
        doc = load_schema(sandbox.schema_path)
        assert len(schema.resource_schemas) == len(doc.resources)
        assert len(schema.data_source_schemas) == len(doc.data_sources)
        assert len(schema.ephemeral_resource_schemas) == len(doc.ephemeral)
        eks = schema.resource_schemas["aws_eks_cluster"].block
        vpc_config = next(b for b in eks.block_types if b.type_name == "vpc_config")
        assert (vpc_config.nesting, vpc_config.min_items, vpc_config.max_items) == (pb.Schema.NestedBlock.LIST, 1, 1)
        wo = next(
            a
            for a in schema.resource_schemas["aws_secretsmanager_secret_version"].block.attributes
            if a.name == "secret_string_wo"
        )
        assert wo.write_only and wo.sensitive and json.loads(wo.type) == "string"

        ty = doc.implied_type("resource", "aws_vpc")
        proposed = {name: None for name in ty[1]}
        proposed.update(cidr_block="10.1.0.0/16", tags={"Name": "n"})
        planned = stub.PlanResourceChange(
            pb.PlanResourceChange.Request(
                type_name="aws_vpc",
                prior_state=pb.DynamicValue(msgpack=encode_msgpack(None, ty)),
                proposed_new_state=pb.DynamicValue(msgpack=encode_msgpack(proposed, ty)),
                config=pb.DynamicValue(msgpack=encode_msgpack(proposed, ty)),
            ),
            timeout=60,
        )
        value = decode_msgpack(planned.planned_state.msgpack, ty)
        assert value["id"] is UNKNOWN and value["arn"] is UNKNOWN
        assert value["cidr_block"] == "10.1.0.0/16"
        assert value["tags_all"] == {"Name": "n"}
        attrs = doc.block("resource", "aws_vpc")["attributes"]
        opt_computed = [
            n
            for n, a in attrs.items()
            if a.get("optional") and a.get("computed") and n not in ("region", "tags_all", "cidr_block", "tags")
        ]
        only_optional = [n for n, a in attrs.items() if a.get("optional") and not a.get("computed")]
        assert opt_computed and only_optional
        # Unset optional+computed: unknown on create; unset optional-only: stays null.
        assert all(value[n] is UNKNOWN for n in opt_computed)
        assert all(value[n] is None for n in only_optional if n not in ("cidr_block", "tags"))
        assert value["region"] == "us-east-1"  # provider not configured: the default region

        grpc_controller_pb2_grpc.GRPCControllerStub(channel).Shutdown(grpc_controller_pb2.Empty(), timeout=10)
        assert proc.wait(timeout=20) == 0
        channel.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_install_generates_mirror_and_cli_config_only_in_the_cache(sandbox: SandboxInstall) -> None:
    rel = sandbox.plugin_path.relative_to(sandbox.mirror_dir)
    assert rel.parts[:4] == ("registry.terraform.io", "hashicorp", "aws", sandbox.provider_version)
    assert rel.name == f"terraform-provider-aws_v{sandbox.provider_version}"
    assert os.access(sandbox.plugin_path, os.X_OK)
    rc = sandbox.cli_config.read_text()
    assert "filesystem_mirror" in rc and f'"{sandbox.mirror_dir}"' in rc
    assert 'exclude = ["registry.terraform.io/hashicorp/aws", "registry.opentofu.org/hashicorp/aws"]' in rc
    assert sandbox.cli_config.is_relative_to(sandbox.cache_dir)
    assert list((sandbox.cache_dir / "schema").glob(f"{sandbox.schema_sha256}-*.pb"))
    assert sandbox.env()["TF_CLI_CONFIG_FILE"] == str(sandbox.cli_config)


def test_prepare_workdir_leaves_committed_lock_file_alone(tmp_path: Path) -> None:
    from infra_sandbox.install import prepare_workdir

    src = tmp_path / "src"
    src.mkdir()
    (src / "main.tf").write_text("# stack\n")
    real_lock = '# real provider hashes\nprovider "registry.terraform.io/hashicorp/aws" {}\n'
    (src / ".terraform.lock.hcl").write_text(real_lock)
    work = prepare_workdir(src, tmp_path / "work")
    assert (work / "main.tf").is_file()
    assert not (work / ".terraform.lock.hcl").exists()
    assert (src / ".terraform.lock.hcl").read_text() == real_lock


def test_doctor_info_describes_schema(sandbox: SandboxInstall) -> None:
    from infra_sandbox import info

    doc = load_schema(sandbox.schema_path)
    got = info(sandbox.schema_path, sandbox.cache_dir)
    assert got["schema_sha256"] == sandbox.schema_sha256 == doc.sha256
    assert got["provider_version"] == "6.47.0"
    assert (got["resource_types"], got["data_source_types"], got["ephemeral_resource_types"]) == (
        len(doc.resources),
        len(doc.data_sources),
        len(doc.ephemeral),
    )
    assert got["resource_types"] > 1000
