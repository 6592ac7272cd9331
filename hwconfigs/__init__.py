"""The machine descriptions accelsim ships (YAML). setup.py installs this folder as the data package
``accelsim.hwconfigs``, so an installed accelsim finds them (:mod:`accelsim.hardware.shipped`)."""
