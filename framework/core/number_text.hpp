/// Numbers as text people read and programs read back exactly.
#pragma once

#include <string>

namespace reglab {

/// The shortest "%.*g" text of `v` that reads back (strtod) as exactly `v`: "0.1", "1",
/// "0.125", "1e-05", "0.80779999999999996" only where no shorter text gives the same double;
/// an integer of magnitude below 10^15 in plain digits ("50000", not "5e+04"; "1e+15" from
/// there on). NaN is "nan", infinities "inf" and "-inf".
std::string shortest_decimal(double v);

}  // namespace reglab
