"""ipsecon: health-economic microsimulation and cost-benefit model of IPS in Norway."""

__version__ = "0.1.0"
