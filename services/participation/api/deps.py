"""What the routers share: the service's settings from the runtime."""

from typing import Annotated, cast

from fastapi import Depends, Request

from services.participation.settings import Settings


async def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.runtime.settings)


SettingsDep = Annotated[Settings, Depends(get_settings)]
