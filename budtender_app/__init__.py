"""Budtender wallet terminal: redeem Alpine IQ loyalty wallet discounts at the counter."""

__version__ = "0.1.0"
APP_NAME = "Budtender"
