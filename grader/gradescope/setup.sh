#!/usr/bin/env bash
# Gradescope image set-up: install Rust, build the grader, and warm its dependency cache by
# grading the references (full marks) and the stubs (zero): the image is good only if that
# self-check passes.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v cargo >/dev/null; then
    apt-get update -q && apt-get install -y -q curl build-essential
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    ln -sf "$HOME/.cargo/bin/"* /usr/local/bin/
fi
cargo build --release --locked -p grader
./target/release/grader --pristine "$PWD" self-check
