"""Health and version: no authentication, nothing about the data."""

from __future__ import annotations

from importlib import metadata

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared.errors import Code
from shared.wire import PROTOCOL_VERSION, SUPPORTED_VERSIONS, ErrorBody

from ..services import storage
from .state import services

router = APIRouter(prefix="/api/v1", tags=["health"])


def server_version() -> str:
    try:
        return metadata.version("paidui")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


class Health(BaseModel):
    status: str
    version: str
    database: str


class Version(BaseModel):
    version: str
    protocol: int
    protocols: list[int]


@router.get("/health", response_model=Health, responses={503: {"model": ErrorBody}})
def health(request: Request) -> Health | JSONResponse:
    svc = services(request)
    if not storage.database_answers(svc.db):
        body = ErrorBody(code=Code.UNAVAILABLE, detail="the database does not answer")
        return JSONResponse(body.model_dump(), status_code=503)
    return Health(status="ok", version=server_version(), database="sqlite" if svc.db.is_sqlite else "postgresql")


@router.get("/version", response_model=Version)
def version() -> Version:
    return Version(version=server_version(), protocol=PROTOCOL_VERSION, protocols=sorted(SUPPORTED_VERSIONS))
