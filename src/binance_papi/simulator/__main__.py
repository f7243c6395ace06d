"""`python -m binance_papi.simulator`: serve the simulator until SIGINT or SIGTERM.

Prints exactly one line, `PAPI simulator listening on http://HOST:PORT`, once the port is bound, so a
parent process (a benchmark, a CI job) can read the port and start. argparse on purpose: this is a
developer tool, apart from the user-facing CLI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from ._faults import FAULT_NAMES, parse_fault
from ._keys import PublicKeyVerifier, is_well_formed_key
from ._limits import DEFAULT_WEIGHT_LIMIT, DEFAULT_WINDOW_MS
from ._samples import large_account
from ._server import format_base_url, start_site
from ._simulator import Simulator


def _fault(text: str) -> str:
    try:
        parse_fault(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _public_key(text: str) -> tuple[str, PublicKeyVerifier]:
    """`API_KEY=PEM_FILE`: an API key and the RSA or Ed25519 public key that checks its signatures."""
    api_key, sep, path = text.partition("=")
    if not sep or not path:
        raise argparse.ArgumentTypeError("expected API_KEY=PEM_FILE (the public key, PEM)")
    if not is_well_formed_key(api_key):
        raise argparse.ArgumentTypeError("the API key must be 64 letters and digits (Binance's format)")
    try:
        with open(path, "rb") as handle:  # noqa: PTH123
            pem = handle.read()
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return api_key, PublicKeyVerifier(pem)
    except (ValueError, TypeError) as exc:
        hint = " (that is a private key: give its public half)" if b"PRIVATE KEY" in pem else ""
        raise argparse.ArgumentTypeError(f"{path} is not an RSA or Ed25519 public key in PEM{hint}: {exc}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m binance_papi.simulator",
        description=(
            "Local simulator of Binance's Portfolio Margin account endpoints (GET /papi/v1/balance, /papi/v1/account, "
            "um/account, positionRisk, income, ...; plus /papi/v1/ping and /fapi/v1/time)."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument(
        "--fault", type=_fault, metavar="NAME", help=f"answer signed requests with a fault: {', '.join(FAULT_NAMES)}"
    )
    parser.add_argument(
        "--fault-count", type=int, metavar="N", help="apply --fault to the next N signed requests only (default: all)"
    )
    parser.add_argument("--clock-offset-ms", type=int, default=0, help="server clock minus the real clock, ms")
    parser.add_argument(
        "--large-assets",
        type=int,
        metavar="N",
        help="also serve large_account(N, SEED, positions=M), whose key and secret that function returns",
    )
    parser.add_argument(
        "--positions", type=int, default=0, metavar="M", help="UM positions of the --large-assets account (default 0)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for --large-assets (default 0)")
    parser.add_argument(
        "--weight-limit", type=int, default=DEFAULT_WEIGHT_LIMIT, help="IP weight per window (default 6000)"
    )
    parser.add_argument(
        "--window-seconds",
        type=float,
        default=DEFAULT_WINDOW_MS / 1000,
        metavar="S",
        help="length of the weight window, fixed windows of the server clock (default 60, as Binance)",
    )
    parser.add_argument(
        "--public-key",
        type=_public_key,
        action="append",
        default=[],
        metavar="API_KEY=PEM_FILE",
        help="also serve the demo account under API_KEY, signed with the RSA or Ed25519 private key whose public"
        " key (PEM, e.g. from `openssl pkey -pubout`) is in PEM_FILE; repeatable",
    )
    return parser


async def _serve(simulator: Simulator, host: str, port: int) -> None:
    runner, bound = await start_site(simulator, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        sys.stdout.write(f"PAPI simulator listening on {format_base_url(host, bound)}\n")
        sys.stdout.flush()
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Parse the flags, serve until SIGINT or SIGTERM, return the exit status."""
    args = _parser().parse_args(argv)
    simulator = Simulator(
        weight_limit=args.weight_limit, window_s=args.window_seconds, clock_offset_ms=args.clock_offset_ms
    )
    if args.large_assets:
        simulator.add_account(large_account(args.large_assets, args.seed, positions=args.positions))
    for api_key, verifier in args.public_key:
        simulator.add_key(api_key, verifier)
    if args.fault is not None:
        if args.fault_count is None:
            simulator.set_fault(args.fault)
        else:
            simulator.fail_next(args.fault, args.fault_count)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(simulator, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
