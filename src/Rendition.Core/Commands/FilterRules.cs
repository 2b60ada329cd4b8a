using System.Collections.Frozen;

namespace Rendition.Core.Commands;

/// <summary>Filter options naming a file: their keys (with aliases) and, for each positional index, its key.</summary>
internal sealed record FileOptionSpec(FrozenSet<string> Keys, IReadOnlyDictionary<int, string> Positions)
{
    /// <summary>The file option a positional value at <paramref name="position"/> sets, or null.</summary>
    public string? KeyAt(int position) => position >= 0 ? Positions.GetValueOrDefault(position) : null;
}

/// <summary>A generator's bounding option: the keys and positional index of its duration.</summary>
internal sealed record SourceBound(FrozenSet<string> Keys, int Position);

/// <summary>The command policy's filter tables.</summary>
internal static class FilterRules
{
    /// <summary>Filters refused outright, with the reason. Compared case-insensitively.</summary>
    public static readonly FrozenDictionary<string, string> Refused = BuildRefused();

    /// <summary>
    /// Filters with options that open a file (to read or to write), mapped to those options. The value must be a
    /// placeholder or a plain name in the job directory. Positions follow each filter's option order (aliases
    /// share a position), as ffmpeg maps positional values onto options.
    /// </summary>
    public static readonly FrozenDictionary<string, FileOptionSpec> FileOptions = new Dictionary<string, FileOptionSpec>(StringComparer.OrdinalIgnoreCase)
    {
        ["movie"] = Files("filename@0"),
        ["amovie"] = Files("filename@0"),
        ["subtitles"] = Files("filename@0 f fontsdir@2"),
        ["ass"] = Files("filename@0 f fontsdir@2"),
        ["drawtext"] = Files("fontfile@0 textfile@2"),
        ["lut3d"] = Files("file@0"),
        ["lut1d"] = Files("file@0"),
        ["sofalizer"] = Files("sofa@0"),
        ["signature"] = Files("filename@2"),
        ["psnr"] = Files("stats_file@0 f"),
        ["ssim"] = Files("stats_file@0 f"),
        ["xpsnr"] = Files("stats_file@0 f"),
        ["vmafmotion"] = Files("stats_file@0"),
        ["libvmaf"] = Files("log_path model_path"),
        ["metadata"] = Files("file@5"),
        ["ametadata"] = Files("file@5"),
        ["vidstabdetect"] = Files("result@0"),
        ["vidstabtransform"] = Files("input@0"),
        ["removelogo"] = Files("filename@0 f"),
        ["curves"] = Files("psfile@6 plot@7"),
        ["selectivecolor"] = Files("psfile@10"),
        ["deshake"] = Files("filename@10"),
        ["fieldhint"] = Files("hint@0"),
        ["cover_rect"] = Files("cover@0"),
        ["find_rect"] = Files("object@0"),
        ["nnedi"] = Files("weights@0"),
        ["firequalizer"] = Files("dumpfile@9"),
        ["paletteuse"] = Files("debug_kdtree@6"),
        ["arnndn"] = Files("model@0 m"),
        ["showcqt"] = Files("fontfile@19 axisfile@22"),
        ["flite"] = Files("textfile@3"),
        ["cellauto"] = Files("filename@0 f"),
        ["life"] = Files("filename@0 f"),
        ["asr"] = Files("hmm@1 dict@2 lm@3 lmctl@4 logfn@6"),
        ["lensfun"] = Files("db_path"),
        ["qrencode"] = Files("textfile"),
        ["qrencodesrc"] = Files("textfile"),
        ["drawvg"] = Files("file"),
        ["whisper"] = Files("model@0 vad_model destination"),
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    // File options a filter writes rather than reads (statistics, logs, plots), aliases included.
    private static readonly FrozenSet<(string Filter, string Key)> WrittenFiles = new (string, string)[]
    {
        ("psnr", "stats_file"), ("psnr", "f"), ("ssim", "stats_file"), ("ssim", "f"), ("xpsnr", "stats_file"), ("xpsnr", "f"),
        ("vmafmotion", "stats_file"), ("libvmaf", "log_path"), ("metadata", "file"), ("ametadata", "file"),
        ("vidstabdetect", "result"), ("signature", "filename"), ("curves", "plot"), ("firequalizer", "dumpfile"),
        ("paletteuse", "debug_kdtree"), ("asr", "logfn"), ("whisper", "destination"), ("deshake", "filename"),
    }.ToFrozenSet();

    // Options naming a font file or folder: they may also name the system fonts (read-only, under /usr/share/fonts).
    private static readonly FrozenSet<(string Filter, string Key)> FontFiles = new (string, string)[]
    {
        ("drawtext", "fontfile"), ("subtitles", "fontsdir"), ("ass", "fontsdir"), ("showcqt", "fontfile"),
    }.ToFrozenSet();

    /// <summary>True when the filter writes the file its option names (lower-case filter name).</summary>
    public static bool IsWrittenFile(string filter, string key) => WrittenFiles.Contains((filter, key));

    /// <summary>True when the option names a font file or font folder (lower-case filter name).</summary>
    public static bool IsFontOption(string filter, string key) => FontFiles.Contains((filter, key));

    /// <summary>Single options refused in otherwise allowed filters: (filter, option) → reason.</summary>
    public static readonly FrozenDictionary<(string Filter, string Key), string> RefusedOptions = new Dictionary<(string, string), string>
    {
        [("movie", "format_opts")] = "it sets demuxer options the server does not check",
        [("amovie", "format_opts")] = "it sets demuxer options the server does not check",
        [("ocr", "datapath")] = "it loads OCR data from a chosen path",
        [("libplacebo", "custom_shader_path")] = "it loads shader code",
        [("libplacebo", "custom_shader_bin")] = "it loads shader code",
        [("xfade_opencl", "source")] = "it compiles OpenCL code",
    }.ToFrozenDictionary();

    /// <summary>Options whose value is only displayed, never opened: exempt from the path and protocol checks.</summary>
    public static readonly FrozenDictionary<string, (FrozenSet<string> Keys, int Position)> TextOptions =
        new Dictionary<string, (FrozenSet<string>, int)>(StringComparer.OrdinalIgnoreCase)
        {
            ["drawtext"] = (Set("text"), 1),
        }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>Generators whose output is endless unless their duration is set, with that option.</summary>
    public static readonly FrozenDictionary<string, SourceBound> BoundedByDuration = BuildSources();

    /// <summary>Generators for which <c>d=0</c> means "forever" rather than "nothing" (their duration default is 0).</summary>
    public static readonly FrozenSet<string> ZeroDurationIsEndless =
        new[] { "sine", "anoisesrc", "avsynctest" }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Generators with no duration option at all: endless unless the command bounds its output.</summary>
    public static readonly FrozenSet<string> EndlessSources =
        new[] { "cellauto", "life", "mandelbrot", "sierpinski" }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Filters that end a chain's stream: a generator followed by one of these (with an end) is bounded.</summary>
    public static readonly FrozenDictionary<string, FrozenSet<string>> Trims = new Dictionary<string, FrozenSet<string>>(StringComparer.OrdinalIgnoreCase)
    {
        ["trim"] = Set("end", "end_pts", "end_frame", "duration", "durationi"),
        ["atrim"] = Set("end", "end_pts", "end_sample", "duration", "durationi"),
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    // "key@position alias ...": an alias after a key shares that key's position.
    private static FileOptionSpec Files(string spec)
    {
        var keys = new List<string>();
        var positions = new Dictionary<int, string>();
        foreach (var item in spec.Split(' '))
        {
            var at = item.IndexOf('@', StringComparison.Ordinal);
            var key = at < 0 ? item : item[..at];
            keys.Add(key);
            if (at >= 0)
            {
                positions[int.Parse(item[(at + 1)..], System.Globalization.CultureInfo.InvariantCulture)] = key;
            }
        }
        return new FileOptionSpec(keys.ToFrozenSet(StringComparer.Ordinal), positions);
    }

    private static FrozenSet<string> Set(params string[] keys) => keys.ToFrozenSet(StringComparer.Ordinal);

    private static FrozenDictionary<string, string> BuildRefused()
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in new[] { "ladspa", "lv2", "frei0r", "frei0r_src" })
        {
            d[f] = "it loads native plugin code";
        }
        foreach (var f in new[] { "zmq", "azmq" })
        {
            d[f] = "it listens on the network";
        }
        foreach (var f in new[] { "sendcmd", "asendcmd" })
        {
            // Commands can change any filter's runtime options (lut1d's file, curves' plot, drawtext's reinit) after
            // this policy has judged them, and can be read from a file: refused outright.
            d[f] = "its commands can change other filters' options (including file names) after they are checked";
        }
        foreach (var f in new[] { "dnn_processing", "dnn_detect", "dnn_classify", "sr", "derain" })
        {
            d[f] = "it loads a neural-network model into a framework that can run code";
        }
        foreach (var f in new[] { "openclsrc", "program_opencl" })
        {
            d[f] = "it compiles and runs OpenCL code";
        }
        foreach (var f in new[] { "coreimage", "coreimagesrc" })
        {
            d[f] = "it runs platform image-processing plugins";
        }
        d["ddagrab"] = "it captures the desktop";
        foreach (var f in new[] { "buffer", "abuffer", "buffersink", "abuffersink" })
        {
            d[f] = "it is internal to ffmpeg";
        }
        return d.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    private static FrozenDictionary<string, SourceBound> BuildSources()
    {
        var duration = Set("d", "duration");
        var d = new Dictionary<string, SourceBound>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in new[] { "nullsrc", "testsrc", "testsrc2", "smptebars", "smptehdbars", "pal75bars", "pal100bars", "rgbtestsrc", "yuvtestsrc", "colorspectrum", "zoneplate" })
        {
            d[f] = new SourceBound(duration, 2); // size, rate, duration
        }
        d["color"] = new SourceBound(duration, 3);       // color, size, rate, duration
        d["allrgb"] = new SourceBound(duration, 1);      // rate, duration
        d["allyuv"] = new SourceBound(duration, 1);
        d["colorchart"] = new SourceBound(duration, 1);
        d["haldclutsrc"] = new SourceBound(duration, 2); // level, rate, duration
        d["gradients"] = new SourceBound(duration, -1);
        d["avsynctest"] = new SourceBound(duration, 7);
        d["mptestsrc"] = new SourceBound(duration, 1);   // rate, duration, test, max_frames: a single test never ends
        d["anullsrc"] = new SourceBound(duration, 3);    // channel_layout, sample_rate, nb_samples, duration
        d["sine"] = new SourceBound(duration, 3);        // frequency, beep_factor, sample_rate, duration
        d["anoisesrc"] = new SourceBound(duration, 2);   // sample_rate, amplitude, duration
        d["aevalsrc"] = new SourceBound(duration, 3);    // exprs, nb_samples, sample_rate, duration
        return d.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }
}
