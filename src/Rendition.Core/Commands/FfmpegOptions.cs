using System.Collections.Frozen;

namespace Rendition.Core.Commands;

/// <summary>How the command policy treats an allowed option and its value.</summary>
internal enum OptionKind
{
    /// <summary>A flag: takes no value.</summary>
    Flag,

    /// <summary>Takes one value, checked for paths and URL protocols like every value.</summary>
    Value,

    /// <summary>Takes one value that ffmpeg only stores (metadata text, a playlist base URL): never opened, not checked.</summary>
    Text,

    /// <summary>Takes a file name that ffmpeg opens: must be a placeholder or a plain relative name.</summary>
    Path,

    /// <summary>Takes a filter graph.</summary>
    Graph,

    /// <summary><c>-f</c>: a (de)muxer name, judged once it is known whether it applies to an input or an output.</summary>
    Format,

    /// <summary>A muxer the segment muxer uses for each segment (<c>-segment_format</c>): an ordinary output format.</summary>
    SegmentFormat,

    /// <summary>A <c>WxH</c> frame size.</summary>
    Size,

    /// <summary>A codec name: software codecs only (hardware codecs open devices).</summary>
    Codec,

    /// <summary><c>-target</c>: sets the output's format (and codec settings) for a disc standard.</summary>
    Target,
}

/// <summary>The command policy's tables: which ffmpeg options, formats and filters a tenant may use.</summary>
internal static class FfmpegOptions
{
    // Headerless PCM: the raw sample formats of libavformat's pcm (de)muxers.
    private static readonly string[] RawPcm =
    [
        "alaw", "mulaw", "f32be", "f32le", "f64be", "f64le", "s8", "u8", "s16be", "s16le", "u16be", "u16le", "s24be",
        "s24le", "u24be", "u24le", "s32be", "s32le", "u32be", "u32le",
    ];

    /// <summary>
    /// Every option a tenant may use (the name without '-' and without a stream specifier) and how its value is
    /// treated. Anything else is refused: an allowlist, so options added by future ffmpeg versions stay refused
    /// until reviewed.
    /// </summary>
    public static readonly FrozenDictionary<string, OptionKind> Allowed = BuildAllowed();

    /// <summary>Options refused with a specific reason (file readers and writers, devices, code, the runner's own guards).</summary>
    public static readonly FrozenDictionary<string, string> Refused = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["filter_script"] = "it reads a filter graph from a file",
        ["filter_complex_script"] = "it reads a filter graph from a file",
        ["attach"] = "it reads a file into the output",
        ["dump_attachment"] = "it writes attachments to files",
        ["vstats"] = "it writes a statistics file",
        ["vstats_file"] = "it writes a statistics file",
        ["vstats_version"] = "it writes a statistics file",
        ["enc_stats_pre"] = "it writes a statistics file",
        ["enc_stats_post"] = "it writes a statistics file",
        ["mux_stats"] = "it writes a statistics file",
        ["print_graphs_file"] = "it writes a file",
        ["sdp_file"] = "it writes an SDP file",
        ["progress"] = "it writes progress to a file or URL",
        ["report"] = "it writes a report file",
        ["benchmark_all"] = "it is not needed to encode",
        ["dump"] = "it dumps packets",
        ["hex"] = "it dumps packets",
        ["stdin"] = "it reads standard input",
        ["init_hw_device"] = "it opens hardware devices",
        ["filter_hw_device"] = "it opens hardware devices",
        ["hwaccel_device"] = "it opens hardware devices",
        ["hwaccel"] = "it opens hardware devices",
        ["vaapi_device"] = "it opens hardware devices",
        ["qsv_device"] = "it opens hardware devices",
        ["protocol_whitelist"] = "the server sets the protocols an input may use",
        ["protocol_blacklist"] = "the server sets the protocols an input may use",
        ["format_whitelist"] = "the server sets the formats an input may use",
        ["codec_whitelist"] = "the server sets what an input may use",
        ["pre"] = "it reads a preset file",
        ["fpre"] = "it reads a preset file",
        ["vpre"] = "it reads a preset file",
        ["apre"] = "it reads a preset file",
        ["spre"] = "it reads a preset file",
        ["enable_drefs"] = "it follows references to other files",
        ["use_absolute_path"] = "it follows references to other files",
        ["safe"] = "it allows concat lists to name any file",
        ["allowed_extensions"] = "it allows playlists to name other files",
        ["hls_key_info_file"] = "it reads a key file naming other files",
        ["graph_file"] = "it reads a filter graph from a file",
        ["apad"] = "it adds a filter outside the checked filter graphs",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Options that bound the length of the output (so an infinite source ends).</summary>
    public static readonly FrozenSet<string> BoundOptions =
        new[] { "t", "to", "frames", "vframes", "aframes", "dframes", "fs" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Demuxers a tenant may name with <c>-f</c> before <c>-i</c>: ordinary media read from one local file.</summary>
    public static readonly FrozenSet<string> InputFormats = new[]
    {
        "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "mpegts", "mpeg", "mpegvideo", "m4v", "mp3",
        "wav", "w64", "aiff", "caf", "flac", "ogg", "aac", "ac3", "eac3", "dts", "truehd", "mlp", "amr", "wv", "ape",
        "tta", "mxf", "nut", "flv", "avi", "asf", "dv", "gif", "apng", "image2", "png_pipe", "jpeg_pipe", "webp_pipe",
        "mjpeg", "rawvideo", "yuv4mpegpipe", "h264", "hevc", "ivf", "obu", "s16le", "s16be", "s24le", "s32le",
        "f32le", "f64le", "u8", "mulaw", "alaw", "ffmetadata", "srt", "ass", "webvtt", "microdvd", "subviewer",
        "sami", "lrc", "scc", "mpl2", "sup", "lavfi",
    }.Concat(RawPcm).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Muxers a tenant may name with <c>-f</c> before an output (HLS, DASH and segments are features).</summary>
    public static readonly FrozenSet<string> OutputFormats = new[]
    {
        "mp4", "mov", "ipod", "ismv", "3gp", "3g2", "psp", "m4a", "matroska", "webm", "mpegts", "mpeg", "vob", "dvd",
        "svcd", "vcd", "mp3", "mp2", "wav", "w64", "aiff", "caf", "flac", "ogg", "oga", "ogv", "opus", "spx",
        "adts", "aac", "ac3", "eac3", "dts", "truehd", "amr", "wv", "tta", "flv", "f4v", "avi", "asf", "dv", "gif",
        "apng", "webp", "image2", "mjpeg", "rawvideo", "yuv4mpegpipe", "h264", "hevc", "m4v", "mpeg1video",
        "mpeg2video", "obu", "ivf", "mxf", "nut", "s16le", "s16be", "s24le", "s32le", "f32le", "f64le", "u8",
        "mulaw", "alaw", "null", "hls", "dash", "segment", "stream_segment", "ssegment", "ffmetadata", "srt",
        "webvtt", "ass", "sup", "data", "md5", "framemd5", "crc", "framecrc", "hash", "framehash", "streamhash",
        "ttml", "mxf_opatom", "mxf_d10",
    }.Concat(RawPcm).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// AVOptions a tenant may give a stream specifier (<c>-crf:v</c>): only codec options, because ffmpeg's
    /// <c>opt_default</c> strips the specifier for the codec class alone; <c>-movflags:v</c> is an unknown option to it.
    /// </summary>
    public static readonly FrozenSet<string> CodecAvOptions = new[]
    {
        "8x8dct", "a53cc", "aom-params", "application", "aq-mode", "aq-strength", "arnr-maxframes", "arnr-strength",
        "arnr-type", "aud", "auto-alt-ref", "b-pyramid", "b_strategy", "bf", "bufsize", "chroma_sample_location", "cmp",
        "coder", "color_primaries", "color_range", "color_trc", "colorspace", "compression_level", "cpu-used", "crf",
        "cutoff", "deadline", "deblock", "direct-pred", "enable-tpl", "err_detect", "fast-pskip", "field_order", "flags",
        "forced-idr", "frame-parallel", "frame_size", "g", "global_quality", "intra-refresh", "keyint_min",
        "lag-in-frames", "level", "look_ahead", "lossless", "maxrate", "mbd", "mbtree", "me_method", "me_range", "minrate",
        "mixed-refs", "mpv_flags", "nal-hrd", "noise_reduction", "overshoot-pct", "partitions", "preset", "psy", "psy-rd",
        "qmax", "qmin", "qp", "quality", "rc-lookahead", "rc_init_occupancy", "refs", "row-mt", "sc_threshold",
        "slicecrc", "slices", "speed", "static-thresh", "strict", "sub_charenc", "subcmp", "subq", "svtav1-params",
        "threads", "tile-columns", "tile-rows", "trellis", "tune", "undershoot-pct", "vbr", "vendor", "weightb", "weightp",
        "x264-params", "x264opts", "x265-params",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The disc standards of <c>-target</c> (with an optional <c>pal-</c>/<c>ntsc-</c>/<c>film-</c> prefix) and the muxer each selects.</summary>
    public static readonly FrozenDictionary<string, string> Targets = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["vcd"] = "vcd",
        ["svcd"] = "svcd",
        ["dvd"] = "dvd",
        ["dv"] = "dv",
        ["dv50"] = "dv",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Output formats that write other outputs in turn: not allowed as the format of a segment.</summary>
    public static readonly FrozenSet<string> ContainerOutputFormats =
        new[] { "hls", "dash", "segment", "stream_segment", "ssegment" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Name endings of hardware codecs, which open devices (<c>/dev/video*</c>, <c>/dev/dri</c>, GPUs).</summary>
    public static readonly string[] HardwareCodecSuffixes =
    [
        "_vaapi", "_qsv", "_nvenc", "_cuvid", "_v4l2m2m", "_amf", "_mf", "_videotoolbox", "_omx", "_rkmpp",
        "_mediacodec", "_vulkan", "_d3d11va", "_d3d12va", "_mmal", "_vdpau",
    ];

    /// <summary>Why a well-known refused format is refused (others are simply not on the lists).</summary>
    public static readonly FrozenDictionary<string, string> RefusedFormatReasons = BuildRefusedFormats();

    private static FrozenDictionary<string, OptionKind> BuildAllowed()
    {
        var d = new Dictionary<string, OptionKind>(StringComparer.Ordinal)
        {
            ["f"] = OptionKind.Format,
            ["target"] = OptionKind.Target,
            ["s"] = OptionKind.Size,
            ["video_size"] = OptionKind.Size,
            ["canvas_size"] = OptionKind.Size,
            ["segment_format"] = OptionKind.SegmentFormat,
            ["vf"] = OptionKind.Graph,
            ["af"] = OptionKind.Graph,
            ["filter"] = OptionKind.Graph,
            ["filter_complex"] = OptionKind.Graph,
            ["lavfi"] = OptionKind.Graph,
            ["c"] = OptionKind.Codec,
            ["codec"] = OptionKind.Codec,
            ["vcodec"] = OptionKind.Codec,
            ["acodec"] = OptionKind.Codec,
            ["scodec"] = OptionKind.Codec,
            ["dcodec"] = OptionKind.Codec,
            ["metadata"] = OptionKind.Text,
            ["hls_base_url"] = OptionKind.Text,
        };
        foreach (var name in new[]
        {
            "passlogfile", "hls_segment_filename", "hls_fmp4_init_filename", "init_seg_name", "media_seg_name",
            "master_pl_name", "hls_master_name", "single_file_name", "segment_list",
        })
        {
            d[name] = OptionKind.Path;
        }
        foreach (var name in new[]
        {
            "y", "n", "re", "shortest", "an", "vn", "sn", "dn", "copyts", "start_at_zero", "hide_banner", "stats",
            "ignore_unknown", "copy_unknown", "accurate_seek", "xerror", "bitexact", "copyinkf", "fix_sub_duration",
            "debug_ts",
        })
        {
            d[name] = OptionKind.Flag;
        }
        foreach (var name in new[]
        {
            // Streams, mapping, metadata, timing.
            "map", "map_metadata", "map_chapters", "disposition",
            "program", "streamid", "ss", "sseof", "t", "to", "fs", "itsoffset", "itsscale", "seek_timestamp", "r",
            "fpsmax", "aspect", "frames", "vframes", "aframes", "dframes", "stream_loop", "loop", "framerate",
            "pixel_format", "sample_rate", "channels", "fps_mode", "vsync", "async", "copytb", "enc_time_base",
            "time_base", "force_key_frames", "timecode", "timestamp", "discard", "guess_layout_max",
            "sub_charenc", "tag", "atag", "vtag", "bsf", "pattern_type", "frame_pts", "ignore_editlist",
            // Rate control and codec settings.
            "b", "ab", "minrate", "maxrate", "bufsize", "crf", "qp", "q", "qscale", "qmin", "qmax", "global_quality",
            "g", "keyint_min", "sc_threshold", "bf", "refs", "preset", "tune", "profile", "level", "pix_fmt",
            "ar", "ac", "aq", "sample_fmt", "channel_layout", "ch_layout", "vbr", "cutoff", "frame_size",
            "compression_level", "lossless", "field_order", "top", "coder", "trellis", "me_method", "me_range",
            "subq", "partitions", "b_strategy", "rc-lookahead", "aq-mode", "aq-strength", "weightp", "weightb",
            "pass", "look_ahead", "slices", "mbd", "cmp", "subcmp", "mpv_flags", "rc_init_occupancy",
            "noise_reduction", "nal-hrd", "forced-idr", "a53cc", "aud", "b-pyramid", "mixed-refs", "8x8dct",
            "fast-pskip", "mbtree", "deblock", "direct-pred", "psy", "psy-rd", "intra-refresh", "bits_per_raw_sample",
            "x264-params", "x265-params", "x264opts", "svtav1-params", "aom-params", "vb", "vendor", "application",
            "slicecrc",
            "deadline", "quality", "cpu-used", "row-mt", "tile-columns", "tile-rows", "frame-parallel",
            "lag-in-frames", "auto-alt-ref", "arnr-maxframes", "arnr-strength", "arnr-type", "static-thresh",
            "undershoot-pct", "overshoot-pct", "enable-tpl", "speed",
            "color_primaries", "color_trc", "colorspace", "color_range", "chroma_sample_location", "sws_flags",
            // Threads and logging.
            "threads", "filter_threads", "filter_complex_threads", "thread_queue_size", "loglevel", "v",
            "stats_period", "probesize", "analyzeduration", "fpsprobesize", "err_detect", "max_error_rate", "abort_on",
            "readrate", "strict", "autorotate", "autoscale",
            // Muxing.
            "movflags", "fflags", "flags", "avoid_negative_ts", "start_number", "update", "strftime",
            "max_muxing_queue_size", "muxing_queue_data_threshold", "muxdelay", "muxpreload", "max_interleave_delta",
            "id3v2_version", "write_id3v1", "write_xing", "brand", "write_tmcd", "frag_duration",
            "min_frag_duration", "frag_size", "video_track_timescale", "use_editlist", "write_btrt",
            "reserve_index_space", "cues_to_front", "cluster_size_limit", "cluster_time_limit", "write_crc32",
            // HLS, DASH, segments.
            "hls_time", "hls_init_time", "hls_list_size", "hls_playlist_type", "hls_segment_type", "hls_flags",
            "hls_start_number_source", "hls_allow_cache", "hls_delete_threshold", "hls_playlist", "master_pl_publish_rate",
            "var_stream_map", "segment_time", "segment_times", "segment_frames", "segment_list_type",
            "segment_list_size", "segment_start_number", "segment_wrap", "segment_time_delta", "segment_atclocktime",
            "reset_timestamps", "break_non_keyframes", "increment_tc", "seg_duration", "frag_type", "use_template",
            "use_timeline", "single_file", "adaptation_sets", "dash_segment_type", "streaming", "ldash", "window_size",
            "extra_window_size", "remove_at_exit", "dash",
        })
        {
            d[name] = OptionKind.Value;
        }
        return d.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static FrozenDictionary<string, string> BuildRefusedFormats()
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in new[] { "concat", "ffconcat", "hls", "applehttp", "dash", "imf", "sdp", "rtp", "rtsp", "rtp_mpegts", "sap", "tee", "fifo", "fifo_test" })
        {
            d[f] = "it follows references to other files or the network";
        }
        foreach (var f in new[]
        {
            "v4l2", "video4linux2", "x11grab", "xcbgrab", "kmsgrab", "fbdev", "alsa", "pulse", "oss", "jack", "sndio",
            "openal", "libcdio", "dv1394", "iec61883", "decklink", "avfoundation", "gdigrab", "dshow", "vfwcap",
            "android_camera", "bktr", "libdc1394", "audiotoolbox", "caca", "sdl", "sdl2", "opengl", "xv",
        })
        {
            d[f] = "it is a device";
        }
        foreach (var f in new[] { "vapoursynth", "avisynth" })
        {
            d[f] = "it runs a script";
        }
        return d.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
