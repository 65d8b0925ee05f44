"""Physical constants of the Sun, Earth, Moon and Mars, each with its 1-sigma and source.

Every constant is a :class:`Constant` (value in SI, 1-sigma, unit, source), so that a
dispersion can draw from the published uncertainty and a report can cite it. A sigma of
zero means the value is a defining constant (exact by convention).

References
----------
.. [IERS2010] Petit, G., Luzum, B. (eds.), IERS Conventions (2010), IERS Technical Note 36,
   Table 1.1.
.. [DE440] Park, R. S., Folkner, W. M., Williams, J. G., Boggs, D. H., "The JPL Planetary
   and Lunar Ephemerides DE440 and DE441", Astron. J. 161:105 (2021), Table 8.
.. [WGS84] NIMA TR8350.2, "Department of Defense World Geodetic System 1984", 3rd ed. (2000).
.. [IAU2009] Archinal, B. A., et al., "Report of the IAU Working Group on Cartographic
   Coordinates and Rotational Elements: 2009", Celest. Mech. Dyn. Astr. 109:101-135 (2011).
.. [IAU2015] Archinal, B. A., et al., "Report of the IAU Working Group on Cartographic
   Coordinates and Rotational Elements: 2015", Celest. Mech. Dyn. Astr. 130:22 (2018).
.. [MRO120D] Konopliv, A. S., et al., "An improved JPL Mars gravity field and orientation
   from Mars orbiter and lander tracking data", Icarus 274:253-260 (2016); PDS
   MRO-M-RSS-5-SDP-V1, jgmro_120d_sha.tab (reference radius 3396.0 km, fully normalised
   C20 = -8.750220925e-4).
.. [IAU2015R] Prsa, A., et al., "Nominal values for selected solar and planetary
   quantities: IAU 2015 Resolution B3", Astron. J. 152:41 (2016).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEG = math.pi / 180.0
DAY_S = 86400.0
JULIAN_CENTURY_DAYS = 36525.0
AU_M = 149_597_870_700.0  # IAU 2012 Resolution B2, exact
SPEED_OF_LIGHT_M_S = 299_792_458.0  # exact
G0_M_S2 = 9.80665  # standard gravity, exact (CGPM 1901)


@dataclass(frozen=True)
class Constant:
    """A physical constant: SI value, 1-sigma (0 for a defining value), unit and source."""

    value: float
    sigma: float
    unit: str
    source: str

    def __float__(self) -> float:
        return self.value


@dataclass(frozen=True)
class RotationModel:
    """IAU pole and prime-meridian model, linear in time (WGCCRE form).

    ``alpha0 = ra0 + ra_rate * T``, ``delta0 = dec0 + dec_rate * T``, ``W = w0 + w_rate * d``
    with ``T`` in Julian centuries and ``d`` in days past J2000 TDB; angles in radians and
    rates in radians per century (pole) or per day (prime meridian).
    """

    ra0_rad: float
    ra_rate_rad_per_century: float
    dec0_rad: float
    dec_rate_rad_per_century: float
    w0_rad: float
    w_rate_rad_per_day: float
    source: str


@dataclass(frozen=True)
class Body:
    """A celestial body: gravity, shape and rotation, with NAIF ID for the ephemeris."""

    name: str
    naif_id: int
    gm: Constant
    equatorial_radius: Constant
    polar_radius: Constant
    mean_radius: Constant
    j2: Constant | None = None
    j2_reference_radius_m: float | None = None
    rotation_rate: Constant | None = None
    rotation: RotationModel | None = None

    @property
    def flattening(self) -> float:
        """Geometric flattening ``(a - c) / a`` of the reference ellipsoid."""
        a = self.equatorial_radius.value
        return (a - self.polar_radius.value) / a


SUN = Body(
    name="Sun",
    naif_id=10,
    gm=Constant(1.32712440041279419e20, 1e10, "m3/s2", "DE440 [Park et al. 2021, Table 8]"),
    equatorial_radius=Constant(6.957e8, 0.0, "m", "IAU 2015 Resolution B3 nominal solar radius"),
    polar_radius=Constant(6.957e8, 0.0, "m", "IAU 2015 Resolution B3 nominal solar radius"),
    mean_radius=Constant(6.957e8, 0.0, "m", "IAU 2015 Resolution B3 nominal solar radius"),
)

EARTH = Body(
    name="Earth",
    naif_id=399,
    gm=Constant(3.986004418e14, 8e5, "m3/s2", "IERS Conventions 2010, Table 1.1 (TT-compatible)"),
    equatorial_radius=Constant(6_378_137.0, 0.0, "m", "WGS 84 semi-major axis (defining)"),
    polar_radius=Constant(
        6_378_137.0 * (1.0 - 1.0 / 298.257223563), 0.0, "m", "WGS 84, 1/f = 298.257223563"
    ),
    mean_radius=Constant(6_371_008.8, 0.1, "m", "IUGG mean radius R1 = (2a + b)/3 of WGS 84"),
    j2=Constant(1.0826359e-3, 1e-10, "", "IERS Conventions 2010, Table 1.1"),
    j2_reference_radius_m=6_378_136.6,
    rotation_rate=Constant(7.292115e-5, 0.0, "rad/s", "IERS Conventions 2010, Table 1.1"),
)

MOON = Body(
    name="Moon",
    naif_id=301,
    gm=Constant(4.902800118e12, 1.4e5, "m3/s2", "DE440 [Park et al. 2021, Table 8]"),
    equatorial_radius=Constant(1_737_400.0, 1000.0, "m", "IAU WGCCRE 2015 [Archinal 2018]"),
    polar_radius=Constant(1_737_400.0, 1000.0, "m", "IAU WGCCRE 2015 [Archinal 2018]"),
    mean_radius=Constant(1_737_400.0, 1000.0, "m", "IAU WGCCRE 2015 [Archinal 2018]"),
)

MARS = Body(
    name="Mars",
    naif_id=499,
    gm=Constant(
        4.28283750e13,
        3e5,
        "m3/s2",
        "MRO120D gravity field [Konopliv et al. 2016]; sigma of the order of its formal error",
    ),
    equatorial_radius=Constant(3_396_190.0, 100.0, "m", "IAU WGCCRE 2015 [Archinal 2018]"),
    polar_radius=Constant(3_376_200.0, 100.0, "m", "IAU WGCCRE 2015 [Archinal 2018]"),
    mean_radius=Constant(3_389_500.0, 200.0, "m", "IAU WGCCRE 2015 [Archinal 2018]"),
    j2=Constant(
        1.956608e-3,
        1e-9,
        "",
        "MRO120D [Konopliv et al. 2016]: J2 = -sqrt(5) C20, C20 = -8.750220925e-4 at 3396.0 km",
    ),
    j2_reference_radius_m=3_396_000.0,
    rotation_rate=Constant(
        350.89198226 * DEG / DAY_S, 0.0, "rad/s", "IAU WGCCRE 2009 [Archinal 2011], W rate"
    ),
    rotation=RotationModel(
        ra0_rad=317.68143 * DEG,
        ra_rate_rad_per_century=-0.1061 * DEG,
        dec0_rad=52.88650 * DEG,
        dec_rate_rad_per_century=-0.0609 * DEG,
        w0_rad=176.630 * DEG,
        w_rate_rad_per_day=350.89198226 * DEG,
        source="IAU WGCCRE 2009 [Archinal et al. 2011], Table 1 (as in NAIF pck00010)",
    ),
)

BODIES: dict[str, Body] = {b.name.lower(): b for b in (SUN, EARTH, MOON, MARS)}


def body(name: str) -> Body:
    """Look a body up by name (case-insensitive); raises ``KeyError`` listing the known ones."""
    try:
        return BODIES[name.lower()]
    except KeyError:
        known = ", ".join(sorted(BODIES))
        raise KeyError(f"unknown body {name!r}: known bodies are {known}") from None
