using System.Globalization;
using Rendition.Bench;

// make bench's driver. Measures, in one run and against baselines taken in the same run on the same input:
// 1 overhead, 2 throughput, 3 heavy job, 4 API, 5 memory (5d: what a hostile upload makes the server hold), 6 scale-out (see issues
// 5 and 12, and bench/README.md), each in its *Scenario.cs file; Bench.cs runs them, Results.cs and Report.cs hold and write the numbers.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var cfg = Config.FromEnvironment();
var bench = new Bench(cfg);
try
{
    return await bench.RunAsync();
}
finally
{
    await bench.DisposeAsync();
}
