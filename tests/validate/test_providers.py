"""Provider discovery: which providers a blueprint needs and which mirror on this machine has them."""

from __future__ import annotations

from pathlib import Path

from dsaas_infra.validate import providers


def test_required_from_required_providers_and_type_prefixes(make_blueprint) -> None:
    bp = make_blueprint({
        "versions.tf": 'terraform {\n  required_providers {\n    gb = {\n      source = "hashicorp/google-beta"\n'
                       '    }\n  }\n}\n',
        "main.tf": 'resource "aws_s3_bucket" "a" {}\nresource "google_x" "b" {\n  provider = gb\n}\n'
                   'data "archive_file" "z" {}\nresource "terraform_data" "t" {}\n'})
    assert providers.required(bp) == {"registry.terraform.io/hashicorp/aws",
                                      "registry.terraform.io/hashicorp/google-beta",
                                      "registry.terraform.io/hashicorp/archive"}


def test_locate_unpacked_and_packed_layouts(tmp_path: Path) -> None:
    arch = providers.platform_dir()
    unpacked = tmp_path / "m1/registry.terraform.io/hashicorp/null/2.1.2" / arch
    unpacked.mkdir(parents=True)
    (unpacked / "terraform-provider-null_v2.1.2_x4").write_text("")
    packed = tmp_path / "m2/registry.terraform.io/hashicorp/random"
    packed.mkdir(parents=True)
    (packed / f"terraform-provider-random_3.6.0_{arch}.zip").write_text("")
    env = {"HOME": str(tmp_path / "home"), "DSAAS_TF_PLUGIN_MIRROR": str(tmp_path / "m1"),
           "TF_PLUGIN_CACHE_DIR": str(tmp_path / "m2")}
    plan = providers.locate(["registry.terraform.io/hashicorp/null", "registry.terraform.io/hashicorp/random",
                             "registry.terraform.io/hashicorp/aws"], env)
    assert plan.found == {"registry.terraform.io/hashicorp/null": tmp_path / "m1",
                          "registry.terraform.io/hashicorp/random": tmp_path / "m2"}
    assert plan.missing == ["registry.terraform.io/hashicorp/aws"] and not plan.network


def test_mirrors_named_in_the_cli_config_are_used(tmp_path: Path) -> None:
    arch = providers.platform_dir()
    mirror = tmp_path / "mirror/registry.terraform.io/hashicorp/null/2.1.2" / arch
    mirror.mkdir(parents=True)
    (mirror / "terraform-provider-null_v2.1.2_x4").write_text("")
    config = tmp_path / "cli.tfrc"
    config.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{tmp_path}/mirror"\n  }}\n}}\n')
    plan = providers.locate(["registry.terraform.io/hashicorp/null"], {"HOME": str(tmp_path),
                                                                       "TF_CLI_CONFIG_FILE": str(config)})
    assert plan.found == {"registry.terraform.io/hashicorp/null": tmp_path / "mirror"}


def test_cli_config_installs_from_mirrors_only_unless_network_allowed(tmp_path: Path) -> None:
    plan = providers.Plan(found={"registry.terraform.io/hashicorp/null": tmp_path})
    text = providers.write_cli_config(plan, tmp_path / "a.tfrc").read_text()
    assert "filesystem_mirror" in text and "direct" not in text
    plan.network = True
    text = providers.write_cli_config(plan, tmp_path / "b.tfrc").read_text()
    assert 'exclude = ["registry.terraform.io/hashicorp/null"]' in text
    assert providers.write_cli_config(providers.Plan(), tmp_path / "c.tfrc") is None


def test_opentofu_resolves_short_sources_on_its_own_registry(make_blueprint) -> None:
    bp = make_blueprint({"main.tf": 'resource "aws_s3_bucket" "a" {}\n'})
    assert providers.required(bp, providers.TOFU_REGISTRY) == {"registry.opentofu.org/hashicorp/aws"}
