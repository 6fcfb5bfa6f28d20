#!/usr/bin/env python3
"""Clients of a cookie-policy fleet, for scripts/fleet-test.sh.

    fleet_client.py HOST:PORT STOP_FILE MAX_SECONDS CLIENTS

Each client keeps its own cookie jar and one kept-alive connection, logs in
twice (the seed's /login, and /session/login?user=<its name>), then reads
/profile and /session/me over and over until STOP_FILE exists (the script's
events are over) or MAX_SECONDS have passed, taking any cookie an answer
sets (a re-issue after a key rotation, say). It counts:

- requests sent;
- failed: a transport error, or a status other than the one expected;
- sessions lost: a logged-in client answered as logged out (/profile
  without the greeting, /session/me 401);
- resent: requests sent a second time because nginx had closed the kept-alive
  connection between two requests (as a browser does; not a failure).

Prints one JSON line of the totals, and the first few failures on stderr.
Standard library only: it runs wherever Python 3 does, offline.
"""

import http.client
import json
import os
import sys
import threading
import time

HOST, PORT = sys.argv[1].rsplit(":", 1)
STOP_FILE = sys.argv[2]
MAX_SECONDS = float(sys.argv[3])
CLIENTS = int(sys.argv[4])
GREETING = b'{"message":"Welcome back, alice!"}'


class Totals:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = self.failed = self.lost = self.resent = 0
        self.examples = []

    def add(self, client):
        with self.lock:
            self.sent += client.sent
            self.failed += client.failed
            self.lost += client.lost
            self.resent += client.resent
            self.examples.extend(client.examples[: max(0, 10 - len(self.examples))])


class Client:
    def __init__(self, name):
        self.name = name
        self.jar = {}
        self.conn = None
        self.sent = self.failed = self.lost = self.resent = 0
        self.examples = []

    def get(self, path):
        """One GET; (status, body), or (None, error) on a transport error."""
        self.sent += 1
        cookie = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        headers = {"Cookie": cookie} if cookie else {}
        for attempt in (1, 2):
            reused = self.conn is not None
            if not reused:
                self.conn = http.client.HTTPConnection(HOST, int(PORT), timeout=10)
            try:
                self.conn.request("GET", path, headers=headers)
                res = self.conn.getresponse()
                body = res.read()
                for header, value in res.getheaders():
                    if header.lower() == "set-cookie":
                        self.take(value)
                if res.getheader("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return res.status, body
            except (OSError, http.client.HTTPException) as e:
                self.conn.close()
                self.conn = None
                # A kept-alive connection nginx closed between two requests
                # (as browsers do, send it once more on a new connection);
                # counted, and never done on a fresh connection.
                if reused and attempt == 1 and isinstance(
                    e, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
                ):
                    self.resent += 1
                    continue
                return None, repr(e)

    def take(self, set_cookie):
        pair, _, attributes = set_cookie.partition(";")
        name, _, value = pair.strip().partition("=")
        removal = "max-age=0" in attributes.lower().replace(" ", "")
        if removal:
            self.jar.pop(name, None)
        else:
            self.jar[name] = value

    def expect(self, path, status, check, what):
        got, body = self.get(path)
        if got is None or (got != status and got != 401):
            self.failed += 1
            self.examples.append(f"{self.name} {path}: {got} {body[:200]!r}")
            return False
        if got == 401 or not check(body):
            self.lost += 1
            self.examples.append(f"{self.name} {path}: {what}: {got} {body[:200]!r}")
            return False
        return True

    def run(self, deadline):
        user = self.name
        logged_in = self.expect("/login", 200, lambda b: b"Logged in" in b, "login") and self.expect(
            f"/session/login?user={user}", 200, lambda b: user.encode() in b, "session login"
        )
        me = json.dumps({"user": user}, separators=(",", ":")).encode()
        while logged_in and time.monotonic() < deadline and not os.path.exists(STOP_FILE):
            if not self.expect("/profile", 200, lambda b: b == GREETING, "profile not greeting"):
                self.relogin()
            if not self.expect("/session/me", 200, lambda b: b == me, "session lost"):
                self.relogin()
        if self.conn is not None:
            self.conn.close()

    def relogin(self):
        # Logged out by the server: count it once, log in again, go on.
        self.get("/login")
        self.get(f"/session/login?user={self.name}")


def main():
    totals = Totals()
    deadline = time.monotonic() + MAX_SECONDS

    def work(i):
        c = Client(f"client{i}")
        c.run(deadline)
        totals.add(c)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    for line in totals.examples:
        print(line, file=sys.stderr)
    print(
        json.dumps(
            {
                "sent": totals.sent,
                "failed": totals.failed,
                "lost": totals.lost,
                "resent": totals.resent,
                "per_second": round(totals.sent / elapsed),
            }
        )
    )


if __name__ == "__main__":
    main()
