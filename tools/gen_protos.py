"""Generate Python code and the Envoy descriptor set from protos/.

Google's annotation protos come from the installed googleapis-common-protos wheel; they are
copied into build/proto-deps/ so that buf can lint against them, and are never committed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import google.api
import google.rpc
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
DEPS = ROOT / "build" / "proto-deps"
OUT = ROOT / "gen" / "python"
DESCRIPTOR = ROOT / "build" / "cveval.pb"
GOOGLE_API_FILES = ("annotations.proto", "http.proto", "httpbody.proto")
# The error details the services put in grpc-status-details-bin (ErrorInfo, RetryInfo): in Envoy's descriptor so
# its transcoder can print them in REST error bodies.
GOOGLE_RPC_FILES = ("error_details.proto",)


def copy_google_api_protos() -> None:
    source = Path(next(iter(google.api.__path__)))
    target = DEPS / "google" / "api"
    target.mkdir(parents=True, exist_ok=True)
    for name in GOOGLE_API_FILES:
        shutil.copyfile(source / name, target / name)
    rpc_source = Path(next(iter(google.rpc.__path__)))
    rpc_target = DEPS / "google" / "rpc"
    rpc_target.mkdir(parents=True, exist_ok=True)
    for name in GOOGLE_RPC_FILES:
        shutil.copyfile(rpc_source / name, rpc_target / name)


def well_known_include() -> str:
    import grpc_tools

    return str(Path(next(iter(grpc_tools.__path__))) / "_proto")


def run_protoc(args: list[str]) -> None:
    code = protoc.main(["grpc_tools.protoc", *args])
    if code != 0:
        sys.exit(f"protoc failed with exit code {code}: {' '.join(args)}")


def main() -> None:
    copy_google_api_protos()
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    sources = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    includes = [f"-I{PROTOS}", f"-I{DEPS}", f"-I{well_known_include()}"]
    run_protoc([*includes, f"--python_out={OUT}", f"--pyi_out={OUT}", f"--grpc_python_out={OUT}", *sources])
    DESCRIPTOR.parent.mkdir(parents=True, exist_ok=True)
    run_protoc(
        [
            *includes,
            "--include_imports",
            "--include_source_info",
            f"--descriptor_set_out={DESCRIPTOR}",
            *sources,
            *(f"google/rpc/{name}" for name in GOOGLE_RPC_FILES),
        ]
    )
    print(f"generated {len(sources)} protos into {OUT.relative_to(ROOT)} and {DESCRIPTOR.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
