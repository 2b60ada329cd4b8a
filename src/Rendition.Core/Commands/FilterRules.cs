using System.Collections.Frozen;

namespace Rendition.Core.Commands;

/// <summary>Filter options naming a file: their keys (with aliases) and their positional indexes.</summary>
internal sealed record FileOptionSpec(FrozenSet<string> Keys, int[] Positions);

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
        ["movie"] = Files(["filename"], 0),
        ["amovie"] = Files(["filename"], 0),
        ["subtitles"] = Files(["filename", "f", "fontsdir"], 0, 2),
        ["ass"] = Files(["filename", "f", "fontsdir"], 0, 2),
        ["drawtext"] = Files(["fontfile", "textfile"], 0, 2),
        ["lut3d"] = Files(["file"], 0),
        ["lut1d"] = Files(["file"], 0),
        ["sofalizer"] = Files(["sofa"], 0),
        ["signature"] = Files(["filename"], 2),
        ["psnr"] = Files(["stats_file", "f"], 0),
        ["ssim"] = Files(["stats_file", "f"], 0),
        ["xpsnr"] = Files(["stats_file", "f"], 0),
        ["vmafmotion"] = Files(["stats_file"], 0),
        ["libvmaf"] = Files(["log_path", "model_path"]),
        ["metadata"] = Files(["file"], 5),
        ["ametadata"] = Files(["file"], 5),
        ["vidstabdetect"] = Files(["result"], 0),
        ["vidstabtransform"] = Files(["input"], 0),
        ["removelogo"] = Files(["filename", "f"], 0),
        ["curves"] = Files(["psfile", "plot"], 6, 7),
        ["selectivecolor"] = Files(["psfile"], 10),
        ["deshake"] = Files(["filename"], 10),
        ["fieldhint"] = Files(["hint"], 0),
        ["cover_rect"] = Files(["cover"], 0),
        ["find_rect"] = Files(["object"], 0),
        ["nnedi"] = Files(["weights"], 0),
        ["firequalizer"] = Files(["dumpfile"], 9),
        ["paletteuse"] = Files(["debug_kdtree"], 6),
        ["arnndn"] = Files(["model", "m"], 0),
        ["showcqt"] = Files(["fontfile", "axisfile"], 19, 22),
        ["flite"] = Files(["textfile"], 3),
        ["cellauto"] = Files(["filename", "f"], 0),
        ["life"] = Files(["filename", "f"], 0),
        ["asr"] = Files(["hmm", "dict", "lm", "lmctl", "logfn"], 1, 2, 3, 4, 6),
        ["lensfun"] = Files(["db_path"]),
        ["qrencode"] = Files(["textfile"]),
        ["qrencodesrc"] = Files(["textfile"]),
        ["drawvg"] = Files(["file"]),
        ["whisper"] = Files(["model", "vad_model", "destination"], 0),
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

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

    /// <summary>Generators with no duration option at all: endless unless the command bounds its output.</summary>
    public static readonly FrozenSet<string> EndlessSources =
        new[] { "cellauto", "life", "mandelbrot", "sierpinski" }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Filters that end a chain's stream: a generator followed by one of these (with an end) is bounded.</summary>
    public static readonly FrozenDictionary<string, FrozenSet<string>> Trims = new Dictionary<string, FrozenSet<string>>(StringComparer.OrdinalIgnoreCase)
    {
        ["trim"] = Set("end", "end_pts", "end_frame", "duration", "durationi"),
        ["atrim"] = Set("end", "end_pts", "end_sample", "duration", "durationi"),
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static FileOptionSpec Files(string[] keys, params int[] positions) => new(keys.ToFrozenSet(StringComparer.Ordinal), positions);

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
        d["anullsrc"] = new SourceBound(duration, 3);    // channel_layout, sample_rate, nb_samples, duration
        d["sine"] = new SourceBound(duration, 3);        // frequency, beep_factor, sample_rate, duration
        d["anoisesrc"] = new SourceBound(duration, 2);   // sample_rate, amplitude, duration
        d["aevalsrc"] = new SourceBound(duration, 3);    // exprs, nb_samples, sample_rate, duration
        return d.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }
}
