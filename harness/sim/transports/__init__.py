"""How a host reaches the simulated bench: pyserial URL handlers for in-process links.

pyserial finds a handler for `scheme://...` by importing `protocol_<scheme>` from each
package named in `serial.protocol_handler_packages`. Importing this package adds it to
that list, after which `serial.serial_for_url("hilsim://<bench_id>")` opens the test port
of the simulated bench registered under `bench_id` (see `protocol_hilsim`).
"""

import serial

if __name__ not in serial.protocol_handler_packages:
    serial.protocol_handler_packages.append(__name__)
