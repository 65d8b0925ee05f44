"""Shared test settings: astropy must never reach for the network in a test."""

from astropy.utils import iers

iers.conf.auto_download = False
