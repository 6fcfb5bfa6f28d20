"""The FastAPI cookie guide's app, for the load benchmark's third column.

The guide's endpoints, bodies and `def` handlers, unchanged, plus `/healthz`
so the benchmark can tell when the server is up. scripts/bench-load.sh
--fastapi runs it with uvicorn on 127.0.0.1 with two workers:
    uvicorn --app-dir scripts fastapi_app:app --port PORT --workers 2
"""

from fastapi import Cookie, FastAPI, Response

app = FastAPI()


@app.get("/set-cookie")
def set_cookie(response: Response):
    response.set_cookie(key="mycookie", value="cookievalue", max_age=1800, httponly=True)
    return {"message": "Cookie set"}


@app.get("/get-cookie")
def get_cookie(mycookie: str | None = Cookie(default=None)):
    return {"mycookie": mycookie}


@app.get("/login")
def login(response: Response):
    # Set cookie 'username' with value 'alice'
    response.set_cookie(key="username", value="alice", max_age=3600, httponly=True)
    return {"message": "Logged in and cookie set"}


@app.get("/profile")
def profile(username: str | None = Cookie(default=None)):
    if username:
        return {"message": f"Welcome back, {username}!"}
    return {"message": "No username cookie found"}


# Wrong: Trying to set cookie without Response
@app.get("/wrong-set")
def wrong_set():
    # This does nothing because no Response object to set cookie
    return {"message": "No cookie set"}


# Right: Use Response to set cookie
@app.get("/right-set")
def right_set(response: Response):
    response.set_cookie(key="token", value="abc123")
    return {"message": "Cookie set properly"}


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
