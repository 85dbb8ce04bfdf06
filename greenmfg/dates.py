"""Calendar arithmetic the rules and the registry share ("近三年", a blacklisting's three years)."""

from datetime import date


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def years_after(day: date, years: int) -> date:
    return years_before(day, -years)
