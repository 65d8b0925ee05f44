"""Interoperable data products: CCSDS Orbit Ephemeris Messages (:mod:`msrsim.io.oem`)
and CZML documents for Cesium (:mod:`msrsim.io.czml`), written from
:class:`msrsim.campaign.products.Trajectory` records."""
