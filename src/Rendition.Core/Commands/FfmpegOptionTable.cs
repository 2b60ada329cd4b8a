using System.Collections.Frozen;

namespace Rendition.Core.Commands;

/// <summary>The <c>OptionDef</c> flags of ffmpeg's own options that decide how <c>split_commandline</c> reads argv.</summary>
[Flags]
internal enum DefFlags
{
    None = 0,

    /// <summary><c>HAS_ARG</c>: the next argv is the value, whatever it looks like.</summary>
    HasArg = 1,

    /// <summary><c>OPT_BOOL</c>: <c>-nofoo</c> sets it to 0 (a bool without <c>HAS_ARG</c> takes no value).</summary>
    Bool = 2,

    /// <summary><c>OPT_EXIT</c>: prints and exits; takes the next argv, if any, as an optional value.</summary>
    Exit = 4,

    /// <summary>One of <c>OPT_PERFILE</c>, <c>OPT_SPEC</c>, <c>OPT_OFFSET</c>: belongs to the next file, not to the global group.</summary>
    PerFile = 8,

    /// <summary><c>OPT_INPUT</c>: may be applied to an input.</summary>
    Input = 16,

    /// <summary><c>OPT_OUTPUT</c>: may be applied to an output.</summary>
    Output = 32,
}

/// <summary>One of ffmpeg's own options (an <c>OptionDef</c> of fftools), by name.</summary>
internal sealed record OptionDef(string Name, DefFlags Flags)
{
    public bool TakesValue => (Flags & (DefFlags.HasArg | DefFlags.Exit)) != 0;

    public bool IsGlobal => (Flags & DefFlags.PerFile) == 0;

    public bool IsBool => (Flags & DefFlags.Bool) != 0;
}

/// <summary>
/// ffmpeg 5.1's option table (<c>fftools/ffmpeg_opt.c</c> and <c>CMDUTILS_COMMON_OPTIONS</c>), every entry, with the flags
/// <c>split_commandline</c> reads: which consume the next argv, which are bool (and so have a <c>-no</c> form), and which
/// belong to the global group. The differential test checks this table against the ffmpeg on the machine, entry by entry.
/// </summary>
internal static class FfmpegOptionTable
{
    private const DefFlags A = DefFlags.HasArg;
    private const DefFlags B = DefFlags.Bool;
    private const DefFlags F = DefFlags.PerFile;
    private const DefFlags I = DefFlags.Input;
    private const DefFlags O = DefFlags.Output;
    private const DefFlags X = DefFlags.Exit;

    /// <summary>Every option by name (without '-' and without a stream specifier).</summary>
    public static readonly FrozenDictionary<string, OptionDef> Options = Build();

    /// <summary>The option ffmpeg's <c>find_option</c> finds for <paramref name="name"/> (the text after '-', before any ':').</summary>
    public static OptionDef? Find(string name) => Options.GetValueOrDefault(name);

    private static FrozenDictionary<string, OptionDef> Build()
    {
        (string, DefFlags)[] table =
        [
            // CMDUTILS_COMMON_OPTIONS (opt_common.h), with the avdevice ones.
            ("L", X), ("h", X), ("?", X), ("help", X), ("-help", X), ("version", X), ("buildconf", X), ("formats", X),
            ("muxers", X), ("demuxers", X), ("devices", X), ("codecs", X), ("decoders", X), ("encoders", X), ("bsfs", X),
            ("protocols", X), ("filters", X), ("pix_fmts", X), ("layouts", X), ("sample_fmts", X), ("dispositions", X),
            ("colors", X), ("loglevel", A), ("v", A), ("report", DefFlags.None), ("max_alloc", A), ("cpuflags", A),
            ("cpucount", A), ("hide_banner", B), ("sources", X | A), ("sinks", X | A),

            // Main options.
            ("f", A | F | I | O), ("y", B), ("n", B), ("ignore_unknown", B), ("copy_unknown", B), ("recast_media", B),
            ("c", A | F | I | O), ("codec", A | F | I | O), ("pre", A | F | O), ("map", A | F | O), ("map_channel", A | F | O),
            ("map_metadata", A | F | O), ("map_chapters", A | F | O), ("t", A | F | I | O), ("to", A | F | I | O),
            ("fs", A | F | O), ("ss", A | F | I | O), ("sseof", A | F | I), ("seek_timestamp", A | F | I),
            ("accurate_seek", B | F | I), ("isync", A | F | I), ("itsoffset", A | F | I), ("itsscale", A | F | I),
            ("timestamp", A | F | O), ("metadata", A | F | O), ("program", A | F | O), ("dframes", A | F | O),
            ("benchmark", B), ("benchmark_all", B), ("progress", A), ("stdin", B), ("timelimit", A), ("dump", B), ("hex", B),
            ("re", B | F | I), ("readrate", A | F | I), ("target", A | F | O), ("vsync", A), ("frame_drop_threshold", A),
            ("async", A), ("adrift_threshold", A), ("copyts", B), ("start_at_zero", B), ("copytb", A),
            ("shortest", B | F | O), ("bitexact", B | F | I | O), ("apad", A | F | O), ("dts_delta_threshold", A),
            ("dts_error_threshold", A), ("xerror", B), ("abort_on", A), ("copyinkf", B | F | O), ("copypriorss", A | F | O),
            ("frames", A | F | O), ("tag", A | F | I | O), ("q", A | F | O), ("qscale", A | F | O), ("profile", A | F | O),
            ("filter", A | F | O), ("filter_threads", A), ("filter_script", A | F | O), ("reinit_filter", A | F | I),
            ("filter_complex", A), ("filter_complex_threads", A), ("lavfi", A), ("filter_complex_script", A),
            ("auto_conversion_filters", B), ("stats", B), ("stats_period", A), ("attach", A | F | O),
            ("dump_attachment", A | F | I), ("stream_loop", A | F | I), ("debug_ts", B), ("max_error_rate", A),
            ("discard", A | F | I), ("disposition", A | F | O), ("thread_queue_size", A | F | I | O),
            ("find_stream_info", B | F | I), ("bits_per_raw_sample", A | F | O),

            // Video options.
            ("vframes", A | F | O), ("r", A | F | I | O), ("fpsmax", A | F | O), ("s", A | F | I | O), ("aspect", A | F | O),
            ("pix_fmt", A | F | I | O), ("vn", B | F | I | O), ("rc_override", A | F | O), ("vcodec", A | F | I | O),
            ("timecode", A | F | O), ("pass", A | F | O), ("passlogfile", A | F | O), ("psnr", B), ("vstats", DefFlags.None),
            ("vstats_file", A), ("vstats_version", A), ("vf", A | F | O), ("intra_matrix", A | F | O),
            ("inter_matrix", A | F | O), ("chroma_intra_matrix", A | F | O), ("top", A | F | I | O), ("vtag", A | F | I | O),
            ("qphist", B), ("fps_mode", A | F | O), ("force_fps", B | F | O), ("streamid", A | F | O),
            ("force_key_frames", A | F | O), ("ab", A | F | O), ("b", A | F | O), ("hwaccel", A | F | I),
            ("hwaccel_device", A | F | I), ("hwaccel_output_format", A | F | I), ("hwaccels", X),
            // HAS_ARG and OPT_BOOL both: "-autorotate 0" takes a value, "-noautorotate" does not.
            ("autorotate", A | B | F | I), ("autoscale", A | B | F | O),

            // Audio options.
            ("aframes", A | F | O), ("aq", A | F | O), ("ar", A | F | I | O), ("ac", A | F | I | O), ("an", B | F | I | O),
            ("acodec", A | F | I | O), ("vol", A), ("atag", A | F | O), ("sample_fmt", A | F | I | O),
            ("channel_layout", A | F | I | O), ("ch_layout", A | F | I | O), ("af", A | F | O), ("guess_layout_max", A | F | I),

            // Subtitle options.
            ("sn", B | F | I | O), ("scodec", A | F | I | O), ("stag", A | F | O), ("fix_sub_duration", B | F | I),
            ("canvas_size", A | F | I),

            // Muxing, bitstream filters, presets, data, hardware.
            ("muxdelay", A | F | O), ("muxpreload", A | F | O), ("sdp_file", A), ("time_base", A | F | O),
            ("enc_time_base", A | F | O), ("bsf", A | F | O), ("absf", A | F | O), ("vbsf", A | F | O), ("apre", A | F | O),
            ("vpre", A | F | O), ("spre", A | F | O), ("fpre", A | F | O), ("max_muxing_queue_size", A | F | O),
            ("muxing_queue_data_threshold", A | F | O), ("dcodec", A | F | I | O), ("dn", B | F | I | O),
            ("vaapi_device", A), ("qsv_device", A), ("init_hw_device", A), ("filter_hw_device", A),
        ];
        return table.ToFrozenDictionary(e => e.Item1, e => new OptionDef(e.Item1, e.Item2), StringComparer.Ordinal);
    }
}
