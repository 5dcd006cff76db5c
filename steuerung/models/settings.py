"""Settings of the Kommune (one row)."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from steuerung.models.base import Base

#: The planning horizon is the budget year plus this many planning years.
PLANNING_YEARS = 3

#: Licence of the transparency page's open data unless the administration names another.
DEFAULT_LICENCE_NAME = "Datenlizenz Deutschland – Namensnennung – Version 2.0"
DEFAULT_LICENCE_URL = "https://www.govdata.de/dl-de/by-2-0"


class Settings(Base):
    """Kommune-wide settings; exactly one row with id 1."""

    __tablename__ = "settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("budget_year BETWEEN 2000 AND 2100", name="budget_year_range"),
        CheckConstraint("report_interval_days BETWEEN 7 AND 366", name="report_interval_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    kommune_name: Mapped[str] = mapped_column(String(200), default="Musterstadt")
    #: Haushaltsjahr (HJ); the horizon is HJ .. HJ+3.
    budget_year: Mapped[int] = mapped_column(Integer)
    #: Default interval between status reports (quarterly).
    report_interval_days: Mapped[int] = mapped_column(Integer, default=91)
    #: Whether departments may read other departments' measures once approved.
    approved_visible_to_all: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The public transparency page (``/transparenz/``, no login) is switched on.
    transparency_enabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    #: Publisher named on the transparency page and in its open data (empty: the Kommune).
    transparency_publisher: Mapped[str] = mapped_column(String(200), default="")
    #: Licence of the open data (name and address of the licence text).
    transparency_licence_name: Mapped[str] = mapped_column(
        String(200), default=DEFAULT_LICENCE_NAME
    )
    transparency_licence_url: Mapped[str] = mapped_column(String(300), default=DEFAULT_LICENCE_URL)

    @property
    def horizon(self) -> list[int]:
        """The budget year and the three planning years."""
        return [self.budget_year + i for i in range(PLANNING_YEARS + 1)]
