"""HTTP for URLs that content names: public addresses only, each fetch within one deadline.

The sources check fetches whatever URLs the bibliography holds, in CI on pull requests.
Left to itself httpx would follow a source's redirect to `http://127.0.0.1:8080/admin` or
to a cloud metadata service at `169.254.169.254`, and wait forever on a server sending
one header byte a second (its timeout bounds each read, not the whole).

So every connection goes through `_GuardedBackend`, an httpcore network backend that
resolves the host itself, checks every address it resolves to, and connects to a checked
address: what was checked is what is connected to, so a name re-pointed between the
check and the connection (DNS rebinding) gains nothing. The look-up and every read and
write of its streams are cut short at the fetch's deadline, the header read included.

The rule: only public (globally routable, unicast) addresses. The one exception is a URL
that names a non-public IP address itself, such as a test server's `http://127.0.0.1:8000/`:
its author and reviewers see that address in the bibliography, so that address (any port)
may be fetched for that URL and its redirects. A host *name* never gets the exception,
since what it resolves to can change after review.
"""

from __future__ import annotations

import ipaddress
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpcore
import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# One answer of getaddrinfo: (family, type, proto, canonname, sockaddr).
AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str,
                 tuple[str, int] | tuple[str, int, int, int] | tuple[int, bytes]]
_Argument = TypeVar("_Argument")
_Result = TypeVar("_Result")


class Refused(Exception):
    """A host that may not be fetched; the message says why."""


class OverDeadline(Exception):
    """The fetch used up its time."""


def address_problem(address: Address) -> str | None:
    """What `address` is when it is not a public unicast address ("a loopback address"), else None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind in ("loopback", "link_local", "multicast", "unspecified", "private", "reserved"):
        if getattr(address, f"is_{kind}"):
            return f"{'an' if kind == 'unspecified' else 'a'} {kind.replace('_', '-')} address"
    if not address.is_global:  # shared (100.64/10), documentation, benchmarking ranges ...
        return "not a public address"
    return None


def literal_address(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def own_exception(url: httpx.URL) -> Address | None:
    """The non-public address a configured URL names itself, which it may then reach."""
    address = literal_address(url.host)
    return address if address is not None and address_problem(address) else None


@dataclass
class Guard:
    """One fetch's rules: the address its own URL may name, and when its time is up."""

    allowed: Address | None
    deadline: float  # time.monotonic()

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for `host`, every one checked; raises `Refused`."""
        literal = literal_address(host)
        if literal is not None:
            problem = None if literal == self.allowed else address_problem(literal)
            if problem:
                raise Refused(f"{literal} is {problem}")
            return [str(literal)]
        try:
            found = _lookup(host, port, self.wait(None))
        except UnicodeError:
            raise Refused(f"'{host}' is not a valid host name") from None
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"DNS lookup failed for {host}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        for address in addresses:
            # The exception covers an address the URL names, never one a name leads to.
            problem = address_problem(ipaddress.ip_address(address))
            if problem:
                raise Refused(f"{host} resolves to {address}, {problem}")
        return addresses

    def wait(self, timeout: float | None) -> float:
        """The timeout for one socket operation: never past the deadline."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise OverDeadline
        return left if timeout is None else min(timeout, left)


def _lookup(host: str, port: int, timeout: float) -> list[AddrInfo]:
    """getaddrinfo within `timeout`: the resolver has no timeout of its own, so it runs in a
    daemon thread that is left behind (to finish on its own) when the time is up."""
    answer: queue.Queue[list[AddrInfo] | Exception] = queue.Queue(maxsize=1)

    def resolve() -> None:
        try:
            answer.put(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except Exception as exc:  # handed to the waiting thread, which raises it
            answer.put(exc)

    threading.Thread(target=resolve, name="reportgen-dns", daemon=True).start()
    try:
        value = answer.get(timeout=timeout)
    except queue.Empty:
        raise OverDeadline from None
    if isinstance(value, Exception):
        raise value
    return value


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, guard: Guard) -> None:
        self._stream, self._guard = stream, guard

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._timed(self._stream.read, max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._timed(self._stream.write, buffer, timeout)

    def _timed(self, operation: Callable[[_Argument, float], _Result], argument: _Argument,
               timeout: float | None) -> _Result:
        try:
            return operation(argument, self._guard.wait(timeout))
        except httpcore.TimeoutException:
            self._guard.wait(0)  # raises OverDeadline when it was the deadline that struck
            raise

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(ssl_context, server_hostname, self._guard.wait(timeout))
        return _DeadlineStream(stream, self._guard)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, guard: Guard) -> None:
        self._guard = guard
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        error: Exception | None = None
        for address in self._guard.addresses(host, port):
            try:
                stream = self._sockets.connect_tcp(address, port, self._guard.wait(timeout), local_address, socket_options)
                return _DeadlineStream(stream, self._guard)
            except httpcore.ConnectError as exc:  # try the next address, as a resolver's list is meant
                error = exc
            except httpcore.TimeoutException:
                self._guard.wait(0)
                raise
        assert error is not None
        raise error

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        raise Refused("unix sockets are never used")

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, its connection pool built on the guarded backend."""

    def __init__(self, guard: Guard, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context)
        # httpx offers no argument for the network backend; its pool is this one attribute.
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=_GuardedBackend(guard))


def guarded_client(guard: Guard, ssl_context: ssl.SSLContext) -> httpx.Client:
    """A client for one fetch. Proxies from the environment are not used: the addresses
    must be checked where the connection is made."""
    return httpx.Client(transport=_GuardedTransport(guard, ssl_context), trust_env=False)


def ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
