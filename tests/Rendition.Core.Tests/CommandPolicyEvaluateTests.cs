using Rendition.Core.Commands;

namespace Rendition.Core.Tests;

public class CommandPolicyEvaluateTests
{
    private const string Rendi =
        "-i {{in_1}} -ss 00:00 -to 00:30 -filter_complex \"[0:v]split=2[vid1][vid2];[vid1]scale=trunc(oh*a/2)*2:320:force_original_aspect_ratio=decrease,pad=trunc(oh*a/2)*2:320:-1:-1[320p];[vid2]scale=trunc(oh*a/2)*2:180:force_original_aspect_ratio=decrease,pad=trunc(oh*a/2)*2:180:-1:-1[180p]\" -map [320p] -map 0:a -c:a copy -c:v libx264 -preset medium {{out_1}}  -map [180p] -map 0:a -c:a copy -c:v libx264 -preset medium {{out_2}}";

    /// <summary>Hostile commands: each must be refused with a message naming the given fragment.</summary>
    public static TheoryData<string, string> Hostile => new()
    {
        // Absolute, parent and nested paths as inputs and outputs.
        { "-i /etc/passwd {{out_1}}", "/etc/passwd" },
        { "-i ../other-job/in.mp4 {{out_1}}", "../other-job/in.mp4" },
        { "-i {{in_1}} /tmp/out.mp4", "/tmp/out.mp4" },
        { "-i {{in_1}} ../out.mp4", "../out.mp4" },
        { "-i {{in_1}} /out.mp4", "/out.mp4" },
        { "-i {{in_1}} sub//out.mp4", "sub//out.mp4" },
        { "-i {{in_1}} sub/../../out.mp4", "sub/../../out.mp4" },
        { @"-i 'C:\Windows\win.ini' {{out_1}}", @"C:\Windows\win.ini" },
        { "-i {{in_1}}/../../x.mp4 {{out_1}}", "{{in_1}}/../../x.mp4" },
        { "-i {{in_1}} -c copy 'out\n.mp4'", "control character" },
        { "-i {{in_1}} -c copy -- -evil.mp4", "'--'" },
        // Standard input and output, pipes.
        { "-i {{in_1}} -f mp4 -", "'-' (standard output)" },
        { "-i - {{out_1}}", "-i -" },
        { "-i {{in_1}} pipe:1", "pipe:1" },
        { "-i pipe:0 {{out_1}}", "pipe:0" },
        // Every kind of URL protocol as an input.
        { "-i http://127.0.0.1:8080/x.mp4 {{out_1}}", "http://127.0.0.1:8080/x.mp4" },
        { "-i https://example.com/a.mp4 {{out_1}}", "https://example.com/a.mp4" },
        { "-i file:x.mp4 {{out_1}}", "file:x.mp4" },
        { "-i file:/etc/passwd {{out_1}}", "file:/etc/passwd" },
        { "-i ftp://10.0.0.1/x.mp4 {{out_1}}", "ftp://10.0.0.1/x.mp4" },
        { "-i tcp://127.0.0.1:9 {{out_1}}", "tcp://127.0.0.1:9" },
        { "-i udp://0.0.0.0:1234 {{out_1}}", "udp://0.0.0.0:1234" },
        { "-i rtmp://10.0.0.1/live {{out_1}}", "rtmp://10.0.0.1/live" },
        { "-i rtsp://10.0.0.1/s {{out_1}}", "rtsp://10.0.0.1/s" },
        { "-i srt://10.0.0.1:9000 {{out_1}}", "srt://10.0.0.1:9000" },
        { "-i 'concat:a.mp4|b.mp4' {{out_1}}", "concat:a.mp4|b.mp4" },
        { "-i 'subfile,,start,0,end,100,,:x.mp4' {{out_1}}", "subfile,,start,0,end,100,,:x.mp4" },
        { "-i crypto+http:evil.example/x.mp4 {{out_1}}", "crypto+http:evil.example/x.mp4" },
        { "-i 'data:video/mp4;base64,AAAA' {{out_1}}", "data:video/mp4;base64,AAAA" },
        { "-i fd:3 {{out_1}}", "fd:3" },
        { "-i unix:x.sock {{out_1}}", "unix:x.sock" },
        { "-i cache:x.mp4 {{out_1}}", "cache:x.mp4" },
        { "-i gopher://10.0.0.1/x {{out_1}}", "gopher://10.0.0.1/x" },
        // URL protocols inside filter arguments.
        { @"-i {{in_1}} -vf ""movie='http\://127.0.0.1/x.png'[wm];[in][wm]overlay[out]"" {{out_1}}", "movie" },
        { @"-i {{in_1}} -filter_complex ""amovie=tcp\\\://127.0.0.1\\\:9[a]"" -map [a] {{out_1}}", "tcp://127.0.0.1:9" },
        { @"-i {{in_1}} -vf ""subtitles='https\://evil.example/x.srt'"" {{out_1}}", "https://evil.example/x.srt" },
        { @"-i {{in_1}} -vf 'drawtext=textfile=file\\\:x.txt' {{out_1}}", "file:x.txt" },
        { @"-i {{in_1}} -vf ""lut3d='hls+http\://evil/x.cube'"" {{out_1}}", "hls+http://evil/x.cube" },
        // File-reading filters pointed outside the job.
        { "-i {{in_1}} -filter_complex 'movie=/etc/passwd[x];[0:v][x]overlay' {{out_1}}", "/etc/passwd" },
        { "-i {{in_1}} -filter_complex 'amovie=/var/lib/rendition/blobs/other.mp3[a]' -map [a] {{out_1}}", "/var/lib/rendition/blobs/other.mp3" },
        { "-i {{in_1}} -vf subtitles=/etc/passwd {{out_1}}", "/etc/passwd" },
        { "-i {{in_1}} -vf subtitles=filename=../x.srt {{out_1}}", "../x.srt" },
        { "-i {{in_1}} -vf ass=/home/other/x.ass {{out_1}}", "/home/other/x.ass" },
        { "-i {{in_1}} -vf subtitles={{in_s}}:fontsdir=/root {{out_1}}", "/root" },
        { "-i {{in_1}} -vf drawtext=textfile=/etc/passwd {{out_1}}", "/etc/passwd" },
        { "-i {{in_1}} -vf drawtext=fontfile=/etc/shadow:text=x {{out_1}}", "/etc/shadow" },
        { "-i {{in_1}} -vf drawtext=textfile=sub/../../secret.txt {{out_1}}", "sub/../../secret.txt" },
        { "-i {{in_1}} -vf drawtext=fontfile=/usr/share/fonts/../../../etc/passwd:text=x {{out_1}}", "/usr/share/fonts/../../../etc/passwd" },
        { "-i {{in_1}} -vf drawtext=textfile=/usr/share/fonts/x.txt:text=x {{out_1}}", "/usr/share/fonts/x.txt" },
        { "-i {{in_1}} -vf subtitles={{in_s}}:fontsdir=/usr/share/fontsX {{out_1}}", "/usr/share/fontsX" },
        { "-i {{in_1}} -vf lut3d=/etc/x.cube {{out_1}}", "/etc/x.cube" },
        { "-i {{in_1}} -vf lut1d=file=../x.cube {{out_1}}", "../x.cube" },
        { "-i {{in_1}} -vf removelogo=/etc/logo.png {{out_1}}", "/etc/logo.png" },
        { "-i {{in_1}} -vf curves=psfile=/etc/x.acv {{out_1}}", "/etc/x.acv" },
        { "-i {{in_1}} -af sofalizer=sofa=/etc/x.sofa {{out_1}}", "/etc/x.sofa" },
        { "-i {{in_1}} -af arnndn=m=/usr/share/x.rnnn {{out_1}}", "/usr/share/x.rnnn" },
        { "-i {{in_1}} -vf vidstabtransform=input=/tmp/t.trf {{out_1}}", "/tmp/t.trf" },
        { "-i {{in_1}} -vf lensfun=db_path=/usr/share/lensfun {{out_1}}", "/usr/share/lensfun" },
        { "-i {{in_1}} -vf ocr=datapath=tessdata {{out_1}}", "datapath" },
        { "-i {{in_1}} -vf 'drawtext=/text=/etc/passwd' {{out_1}}", "/text" },
        { "-f lavfi -i cellauto=f=/etc/passwd -t 1 {{out_1}}", "/etc/passwd" },
        { "-f lavfi -i life=filename=../board.txt -t 1 {{out_1}}", "../board.txt" },
        { "-i {{in_1}} -vf futurefilter=model_file=/opt/x.bin {{out_1}}", "/opt/x.bin" },
        // File-writing filters pointed outside the job.
        { "-i {{in_1}} -i {{in_2}} -lavfi '[0:v][1:v]psnr=stats_file=/tmp/psnr.log' -f null -", "/tmp/psnr.log" },
        { "-i {{in_1}} -i {{in_2}} -lavfi '[0:v][1:v]ssim=f=/tmp/ssim.log' -f null -", "/tmp/ssim.log" },
        { "-i {{in_1}} -i {{in_2}} -lavfi '[0:v][1:v]libvmaf=log_path=/tmp/v.json' -f null -", "/tmp/v.json" },
        { "-i {{in_1}} -vf metadata=mode=print:file=/tmp/m.txt {{out_1}}", "/tmp/m.txt" },
        { "-i {{in_1}} -vf signature=filename=/tmp/sig.bin -f null -", "/tmp/sig.bin" },
        { "-i {{in_1}} -vf vidstabdetect=result=/tmp/t.trf -f null -", "/tmp/t.trf" },
        { "-i {{in_1}} -vf curves=plot=/tmp/plot.gp {{out_1}}", "/tmp/plot.gp" },
        // Movie's own demuxer choice and options.
        { "-i {{in_1}} -vf 'movie={{in_list}}:f=concat[x];[in][x]overlay' {{out_1}}", "concat" },
        { "-i {{in_1}} -vf 'movie={{in_pl}}:hls[x];[in][x]overlay' {{out_1}}", "hls" },
        { "-i {{in_1}} -vf 'movie={{in_x}}:format_opts=safe=0[x];[in][x]overlay' {{out_1}}", "format_opts" },
        // Plugin, network and command filters.
        { "-i {{in_1}} -af ladspa=file={{in_x}}:p=amp {{out_1}}", "ladspa" },
        { "-i {{in_1}} -af 'ladspa=f={{in_plugin}}' {{out_1}}", "native plugin code" },
        { "-i {{in_1}} -af lv2=p=http://lv2plug.in/plugins/eg-amp {{out_1}}", "lv2" },
        { "-i {{in_1}} -vf frei0r=filter_name={{in_x}} {{out_1}}", "frei0r" },
        { "-f lavfi -i frei0r_src=size=64x64:filter_name=x -t 1 {{out_1}}", "frei0r_src" },
        { "-i {{in_1}} -vf zmq,drawtext=text=x {{out_1}}", "zmq" },
        { "-i {{in_1}} -af azmq=bind_address=tcp\\\\://0.0.0.0\\\\:5555 {{out_1}}", "azmq" },
        { "-i {{in_1}} -vf \"sendcmd=c='0 drawtext reinit textfile=/etc/passwd',drawtext=text=x\" {{out_1}}", "sendcmd" },
        { "-i {{in_1}} -af asendcmd=f=cmds.txt,volume {{out_1}}", "asendcmd" },
        { "-i {{in_1}} -vf dnn_processing=dnn_backend=tensorflow:model={{in_m}} {{out_1}}", "dnn_processing" },
        { "-i {{in_1}} -vf sr=model=x.pb {{out_1}}", "'sr'" },
        { "-f lavfi -i openclsrc=source={{in_k}}:kernel=k -t 1 {{out_1}}", "openclsrc" },
        // Reference-following and device formats.
        { "-f concat -i {{in_list}} -c copy {{out_1}}", "concat" },
        { "-f concat -safe 0 -i {{in_list}} -c copy {{out_1}}", "-safe" },
        { "-f hls -i {{in_playlist}} -c copy {{out_1}}", "hls" },
        { "-f dash -i {{in_mpd}} -c copy {{out_1}}", "dash" },
        { "-f sdp -i {{in_sdp}} {{out_1}}", "sdp" },
        { "-f v4l2 -i video0 {{out_1}}", "v4l2" },
        { "-f video4linux2 -i video0 {{out_1}}", "video4linux2" },
        { "-f x11grab -i :0 {{out_1}}", "x11grab" },
        { "-f alsa -i default {{out_1}}", "alsa" },
        { "-f pulse -i default {{out_1}}", "pulse" },
        { "-f fbdev -i fb0 {{out_1}}", "fbdev" },
        { "-f image2 -i /dev/video0 {{out_1}}", "/dev/video0" },
        { "-f vapoursynth -i {{in_script}} {{out_1}}", "vapoursynth" },
        { "-i {{in_1}} -f tee '[f=mp4]a.mp4|[f=mp4]b.mp4'", "tee" },
        { "-i {{in_1}} -f rtp rtp://127.0.0.1:1234", "rtp" },
        { "-i {{in_1}} -f fifo {{out_1}}", "fifo" },
        { "-i {{in_1}} -f lavfi {{out_1}}", "lavfi" },
        { "-i {{in_1}} -f segment -segment_format tee 'seg_%03d.mp4'", "-segment_format" },
        { "-i {{in_1}} -f segment -segment_format alsa seg_%03d", "alsa" },
        { "-i {{in_1}} -f segment -segment_format hls seg_%03d.m3u8", "hls" },
        // File-writing, file-reading and device options.
        { "-i {{in_1}} -vstats_file /tmp/v.log {{out_1}}", "-vstats_file" },
        { "-i {{in_1}} -vstats {{out_1}}", "-vstats" },
        { "-report -i {{in_1}} {{out_1}}", "-report" },
        { "-progress http://127.0.0.1:1/ -i {{in_1}} {{out_1}}", "-progress" },
        { "-i {{in_1}} -sdp_file x.sdp {{out_1}}", "-sdp_file" },
        { "-dump_attachment:t '' -i {{in_1}} {{out_1}}", "-dump_attachment" },
        { "-i {{in_1}} -attach /etc/passwd -metadata:s:2 mimetype=text/plain {{out_1}}", "-attach" },
        { "-i {{in_1}} -filter_complex_script {{in_graph}} {{out_1}}", "-filter_complex_script" },
        { "-i {{in_1}} -filter_script:v graph.txt {{out_1}}", "-filter_script" },
        { "-i {{in_1}} -/filter_complex {{in_graph}} {{out_1}}", "-/filter_complex" },
        { "-i {{in_1}} -/vf graph.txt {{out_1}}", "loads the option's value from a file" },
        { "-protocol_whitelist file,http,tcp -i {{in_1}} {{out_1}}", "-protocol_whitelist" },
        { "-protocol_blacklist none -i {{in_1}} {{out_1}}", "-protocol_blacklist" },
        { "-format_whitelist hls,concat -i {{in_1}} {{out_1}}", "-format_whitelist" },
        { "-i {{in_1}} -pass 1 -passlogfile /tmp/stats {{out_1}}", "/tmp/stats" },
        { "-i {{in_1}} -f hls -hls_segment_filename /tmp/seg_%03d.ts {{out_1}}", "/tmp/seg_%03d.ts" },
        { "-i {{in_1}} -f segment -segment_list ../list.m3u8 seg_%03d.ts", "../list.m3u8" },
        { "-i {{in_1}} -f dash -init_seg_name /tmp/init.m4s {{out_1}}", "/tmp/init.m4s" },
        { "-i {{in_1}} -c:v libx264 -x264-params stats=/tmp/x264.log {{out_1}}", "/tmp/x264.log" },
        { "-init_hw_device vaapi=gpu:/dev/dri/renderD128 -i {{in_1}} {{out_1}}", "-init_hw_device" },
        { "-hwaccel_device /dev/dri/renderD128 -i {{in_1}} {{out_1}}", "-hwaccel_device" },
        { "-stdin -i {{in_1}} {{out_1}}", "-stdin" },
        { "-dump -i {{in_1}} {{out_1}}", "-dump" },
        { "-i {{in_1}} -f hls -hls_key_info_file key.info {{out_1}}", "-hls_key_info_file" },
        { "-i {{in_1}} -fpre /etc/x.ffpreset {{out_1}}", "-fpre" },
        { "-enable_drefs 1 -i {{in_1}} {{out_1}}", "-enable_drefs" },
        { "-headers 'X-Evil: 1' -i {{in_1}} {{out_1}}", "-headers" },
        { "-i {{in_1}} -c:v h264_v4l2m2m {{out_1}}", "h264_v4l2m2m" },
        { "-c:v hevc_cuvid -i {{in_1}} {{out_1}}", "hevc_cuvid" },
        { "-i {{in_1}} -vcodec h264_vaapi {{out_1}}", "h264_vaapi" },
        { "-f lavfi -i:v 'ladspa=f=x.so' {{out_1}}", "-i:v" },
        { "-f:v lavfi -i ladspa=f=x.so {{out_1}}", "ladspa" },
        // Endless sources with nothing to end them.
        { "-f lavfi -i testsrc2=s=64x64 -c:v libx264 {{out_1}}", "infinite source" },
        { "-f lavfi -i anullsrc {{out_a}}", "infinite source" },
        { "-f lavfi -i sine=f=440 -c:a aac {{out_a}}", "infinite source" },
        { "-f lavfi -i mandelbrot {{out_1}}", "infinite source" },
        { "-f lavfi -i color=c=red:d=-1 {{out_1}}", "infinite source" },
        { "-f lavfi -i 'movie={{in_1}}:loop=0' {{out_1}}", "infinite source" },
        { "-filter_complex 'life=s=64x64[v]' -map [v] {{out_1}}", "infinite source" },
        { "-stream_loop -1 -i {{in_1}} -c copy {{out_1}}", "infinite source" },
        { "-loop 1 -i {{in_img}} {{out_1}}", "infinite source" },
        { "-f lavfi -i anullsrc -f lavfi -i testsrc -shortest {{out_1}}", "infinite source" },
        // Frame sizes that exhaust memory.
        { "-f lavfi -i testsrc2=s=100000x100000:d=1 {{out_1}}", "100000x100000" },
        { "-f lavfi -i color=size=9000x9000:d=1 {{out_1}}", "9000x9000" },
        { "-f lavfi -i nullsrc=20000x20000:d=1 {{out_1}}", "20000x20000" },
        { "-i {{in_1}} -s 20000x20000 {{out_1}}", "20000x20000" },
        { "-f rawvideo -video_size 99999x99999 -i {{in_raw}} {{out_1}}", "99999x99999" },
        { "-i {{in_1}} -vf scale=50000:50000 {{out_1}}", "50000x50000" },
        { "-canvas_size 99999x99999 -i {{in_1}} {{out_1}}", "99999x99999" },
        { "-i {{in_1}} -vf subtitles={{in_s}}:original_size=50000x50000 {{out_1}}", "50000x50000" },
        { "-i {{in_1}} -vf scale=w=100000:h=-1 {{out_1}}", "100000" },
        { "-i {{in_1}} -vf pad=width=9000:height=9000 {{out_1}}", "9000x9000" },
        // Unparseable graphs are refused rather than guessed at.
        { "-i {{in_1}} -filter_complex '[0:v' {{out_1}}", "cannot be parsed" },
        { "-i {{in_1}} -vf 'scale=1:1,,format=yuv420p' {{out_1}}", "cannot be parsed" },
    };

    /// <summary>Legitimate, sometimes unusual commands that must pass untouched.</summary>
    public static TheoryData<string> Legitimate => new()
    {
        Rendi,
        "-i {{in_video}} -c:v libvpx-vp9 -crf 30 -b:v 0 {{out_video}}",
        "-f lavfi -i testsrc2=s=64x64:r=10:d=2 -c:v libx264 -preset ultrafast {{out_v}}",
        "-re -f lavfi -i testsrc2=s=64x64:r=10:d=60 -c:v libx264 -preset ultrafast -pix_fmt yuv420p {{out_v}}",
        "-f lavfi -i anullsrc -t 3 {{out_a}}",
        // As the brief gives it; ffmpeg itself then refuses the graph (the quotes are spent before the option parser
        // splits at ':'), but the policy must not be the one to refuse it.
        "-i {{in_v}} -vf \"drawtext=text='Hello, World: 1':x=10:y=10:fontsize=24:fontcolor=white\" {{out_v}}",
        // The form ffmpeg itself accepts: the ':' inside the quotes escaped for the option parser.
        "-i {{in_v}} -vf \"drawtext=text='Hello, World\\: 1':x=10:y=10\" {{out_v}}",
        "-i {{in_v}} -vf \"scale=iw/2:-2,format=yuv420p\" {{out_v}}",
        "-i {{in_v}} -filter_complex \"[0:v]scale=640:-2[v]\" -map \"[v]\" -map 0:a? -c:a copy {{out_v}}",
        "-i {{in_a}} -i {{in_b}} -filter_complex \"[0:v][1:v]overlay=W-w-10:H-h-10\" {{out_v}}",
        "-i {{in_v}} -vf \"movie={{in_logo}}[wm];[in][wm]overlay=10:10[out]\" {{out_v}}",
        "-i {{in_v}} -filter_complex \"movie={{in_logo}},scale=64:-1[wm];[0:v][wm]overlay=main_w-overlay_w-10:10\" {{out_v}}",
        "-i {{in_v}} -vf \"subtitles={{in_subs}}:force_style='FontSize=24,PrimaryColour=&H00FFFF&'\" {{out_v}}",
        "-i {{in_v}} -vf subtitles=filename={{in_subs}}:si=0 -c:a copy {{out_v}}",
        "-ss 1 -i {{in_v}} -frames:v 1 -q:v 2 {{out_thumb}}",
        "-i {{in_v}} -c copy intermediate.mp4 -c:v libx264 -crf 23 {{out_v}}",
        "-i intermediate.gif -c:v libx264 -pix_fmt yuv420p {{out_v}}",
        "-i {{in_v}} -vf fps=1 frame_%04d.png",
        "-i {{in_v}} -c:v libx264 -f hls -hls_time 2 -hls_segment_filename seg_%03d.ts {{out_playlist}}",
        "-y -i {{in_v}} -c:v libx264 -b:v 1M -pass 1 -passlogfile stats -an -f null -",
        "-i {{in_v}} -c:v libx264 -b:v 1M -pass 2 -passlogfile stats -c:a aac {{out_v}}",
        "-i {{in_v}} -c:v libvpx-vp9 -b:v 1M -pass 1 -an -f null nullout",
        "-i {{in_v}} -ss 00:00:05 -to 00:00:10 -c copy -map 0 -map_metadata -1 -metadata title=\"My Movie: part 1\" -metadata:s:a:0 language=eng {{out_v}}",
        "-loop 1 -i {{in_img}} -i {{in_audio}} -c:v libx264 -tune stillimage -c:a aac -shortest -pix_fmt yuv420p {{out_v}}",
        "-i {{in_a}} -f lavfi -i \"color=c=black:s=1280x720:r=25\" -shortest -c:v libx264 -c:a copy {{out_v}}",
        "-f lavfi -i anullsrc=r=48000:cl=stereo -i {{in_v}} -shortest -c:v copy -c:a aac {{out_v}}",
        "-f lavfi -i \"sine=frequency=1000:duration=5\" -f lavfi -i \"smptebars=size=1280x720:rate=30:duration=5\" -c:v libx264 -c:a aac {{out_v}}",
        "-filter_complex \"sine=f=440,atrim=duration=2[a]\" -map \"[a]\" {{out_a}}",
        "-f lavfi -i \"color=red:64x64:25:3\" {{out_v}}",
        "-i {{in_v}} -vf \"drawtext=fontfile={{in_font}}:text='%{pts\\:hms}':x=(w-tw)/2:y=h-th-10:box=1:boxcolor=black@0.5\" {{out_v}}",
        "-i {{in_v}} -vf \"drawtext=text='Visit https\\://example.com/a/b':x=10:y=10\" {{out_v}}",
        "-i {{in_v}} -af \"loudnorm=I=-16:TP=-1.5:LRA=11\" -ar 48000 -c:v copy {{out_v}}",
        "-i {{in_v}} -vf \"split[a][b];[a]palettegen[p];[b][p]paletteuse\" -loop 0 {{out_gif}}",
        "-i {{in_v}} -map 0:v:0 -map 0:a? -c:v libx265 -x265-params \"keyint=60:min-keyint=60\" -tag:v hvc1 -movflags +faststart {{out_v}}",
        "-sseof -5 -i {{in_v}} -c copy {{out_v}}",
        "-i {{in_v}} -c:v libx264 -profile:v high -level 4.1 -b:v 2M -maxrate 2M -bufsize 4M -g 48 -keyint_min 48 -sc_threshold 0 -c:a aac -b:a 128k -ac 2 -ar 48000 {{out_v}}",
        "-i {{in_v}} -map 0 -c:v libx264 -f dash -seg_duration 4 -use_template 1 -use_timeline 1 -init_seg_name 'init-$RepresentationID$.m4s' -media_seg_name 'chunk-$RepresentationID$-$Number%05d$.m4s' {{out_mpd}}",
        "-i {{in_v}} -vf \"crop=in_w/2:in_h/2,hflip,setpts=PTS/2\" -af atempo=2 {{out_v}}",
        "-i {{in_v}} -filter_complex \"[0:v] scale=1280:720 [s]; [s] drawbox=x=10:y=10:w=100:h=100:color=red@0.5 [v]\" -map \"[v]\" {{out_v}}",
        "-i {{in_v}} -f segment -segment_time 10 -reset_timestamps 1 -c copy part_%03d.mp4",
        "-i {{in_v}} -f segment -segment_format mpegts -segment_list playlist.m3u8 -segment_time 4 -c copy part_%03d.ts",
        "-i {{in_v}} -vf \"select='eq(pict_type,I)'\" -fps_mode vfr thumb_%03d.png",
        "-i {{in_v}} -i {{in_ref}} -lavfi \"[0:v][1:v]psnr=stats_file=psnr.log\" -f null -",
        "-i {{in_v}} -vf \"vidstabdetect=result=transforms.trf,lut3d={{in_lut}}\" -f null -",
        "-i {{in_v}} -c:v libx264 -crf 20 -preset slow -vf scale=3840:2160 -c:a copy {{out_v}}",
        "-i {{in_v}} -map 0:v -map \"[a]\" -filter_complex \"[0:a]asplit=2[a1][a2];[a1][a2]amix=inputs=2[a]\" -c:v copy {{out_v}}",
        "-hide_banner -nostats -loglevel error -i {{in_v}} -an -vcodec copy -bsf:v h264_mp4toannexb -f mpegts {{out_ts}}",
        "-f image2 -framerate 25 -pattern_type glob -i 'img_*.png' -c:v libx264 {{out_v}}",
        // Everyday commands the first policy refused (issue 17).
        "-i {{in_v}} -vf \"scale='iw / 2':-2\" {{out_v}}",
        "-i {{in_a}} -i {{in_b}} -filter_complex \"overlay=x=(W - w) / 2:y=(H - h) / 2\" {{out_v}}",
        "-i {{in_v}} -vf \"drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:text=Hi\" {{out_v}}",
        "-i {{in_v}} -vf \"subtitles={{in_s}}:fontsdir=/usr/share/fonts\" {{out_v}}",
        "-i {{in_v}} -c:v libx264 -b:v 1M -pass 1 -f null /dev/null",
        "-i {{in_v}} -map 0:v -map 0:v -map 0:a -map 0:a -c:v libx264 -c:a aac -f hls -var_stream_map \"v:0,a:0 v:1,a:1\" -master_pl_name {{out_playlist_m}} -hls_segment_filename stream_%v/seg_%03d.ts stream_%v/playlist.m3u8",
        "-i {{in_v}} -c copy my..clip.mp4",
        "-i {{in_v}} -c copy sub/out.mp4",
        "-i {{in_v}} -vb 1M -vendor apl0 -c:v prores_ks {{out_v}}",
        "-i {{in_a}} -c:a libopus -application audio {{out_a}}",
        "-i {{in_v}} -target pal-dvd {{out_v}}",
        "-i {{in_v}} -c:v libvpx-vp9 -dash 1 -f webm {{out_v}}",
        "-i {{in_v}} -c:v ffv1 -slicecrc 1 {{out_v}}",
        "-i {{in_a}} -f s24be {{out_a}}",
        "-i {{in_a}} -f u16le {{out_a}}",
        "-f s8 -ar 8000 -ac 1 -i {{in_raw}} {{out_a}}",
        "-i {{in_s}} -f ttml {{out_t}}",
        "-i {{in_v}} -c:v dnxhd -f mxf_opatom {{out_v}}",
        "-noautorotate -i {{in_v}} -autoscale 0 -s 64x64 {{out_v}}",
        "-f:v lavfi -i anullsrc=d=1 {{out_1}}",
        "-i -8x8dct -c copy {{out_v}}",
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Evaluate_RefusesHostileCommands(string command, string named)
    {
        var violations = CommandPolicy.Evaluate(CommandTokenizer.Tokenize(command));
        Assert.NotEmpty(violations);
        Assert.All(violations, v => Assert.Equal("FORBIDDEN_OPTION", v.Code));
        Assert.True(violations.Any(v => v.Message.Contains(named, StringComparison.Ordinal)),
            $"no message names '{named}': {string.Join(" | ", violations.Select(v => v.Message))}");
    }

    [Theory]
    [MemberData(nameof(Legitimate))]
    public void Evaluate_AllowsLegitimateCommands(string command)
    {
        var violations = CommandPolicy.Evaluate(CommandTokenizer.Tokenize(command));
        Assert.True(violations.Count == 0, string.Join(" | ", violations.Select(v => v.Message)));
    }

    [Fact]
    public void Suites_AreLargeEnough()
    {
        Assert.True(Hostile.Count >= 60, $"{Hostile.Count} hostile commands");
        Assert.True(Legitimate.Count >= 20, $"{Legitimate.Count} legitimate commands");
    }

    [Fact]
    public void Evaluate_AllowsAnEmptyCommand() =>
        Assert.Empty(CommandPolicy.Evaluate([]));

    [Fact]
    public void Evaluate_ReportsEveryProblemOnce()
    {
        var violations = CommandPolicy.Evaluate(CommandTokenizer.Tokenize("-vstats -i /etc/passwd -vf movie=/etc/shadow /tmp/out.mp4"));
        Assert.Equal(4, violations.Count);
    }

    [Fact]
    public void Evaluate_DoesNotMistakeAnUnknownOptionsValueForAnOutput()
    {
        var violations = CommandPolicy.Evaluate(CommandTokenizer.Tokenize("-i {{in_1}} -user_agent /etc/passwd {{out_1}}"));
        var v = Assert.Single(violations);
        Assert.Contains("-user_agent", v.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_TakesARefusedOptionsValueWithIt()
    {
        // "-vstats_file x" must not leave "x" behind as an output that passes.
        var violations = CommandPolicy.Evaluate(CommandTokenizer.Tokenize("-i {{in_1}} -vstats_file /tmp/v {{out_1}}"));
        var v = Assert.Single(violations);
        Assert.Contains("-vstats_file", v.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-i {{in_1}} -f null -", true)]
    [InlineData("-i {{in_1}} -f mp4 -", false)]
    [InlineData("-i {{in_1}} -", false)]
    [InlineData("-f null -i {{in_1}} -", false)] // -f null applied to the input, not the output
    public void Evaluate_AllowsStandardOutputOnlyForTheNullMuxer(string command, bool allowed) =>
        Assert.Equal(allowed, CommandPolicy.Evaluate(CommandTokenizer.Tokenize(command)).Count == 0);

    [Theory]
    [InlineData("-f hls -i {{in_1}} {{out_1}}", false)]
    [InlineData("-i {{in_1}} -f hls {{out_1}}", true)]
    [InlineData("-f dash -i {{in_1}} {{out_1}}", false)]
    [InlineData("-i {{in_1}} -f dash {{out_1}}", true)]
    [InlineData("-f lavfi -i testsrc=d=1 {{out_1}}", true)]
    [InlineData("-i {{in_1}} -f lavfi {{out_1}}", false)]
    [InlineData("-i {{in_1}} -f segment seg_%03d.ts", true)]
    [InlineData("-f segment -i {{in_1}} {{out_1}}", false)]
    public void Evaluate_JudgesFormatsByWhetherTheyApplyToAnInputOrAnOutput(string command, bool allowed) =>
        Assert.Equal(allowed, CommandPolicy.Evaluate(CommandTokenizer.Tokenize(command)).Count == 0);

    [Theory]
    [InlineData("-f lavfi -i anullsrc {{out_1}}", false)]
    [InlineData("-f lavfi -i anullsrc -t 3 {{out_1}}", true)]
    [InlineData("-t 3 -f lavfi -i anullsrc {{out_1}}", true)]
    [InlineData("-f lavfi -i anullsrc -frames:a 100 {{out_1}}", true)]
    [InlineData("-f lavfi -i anullsrc=d=3 {{out_1}}", true)]
    [InlineData("-f lavfi -i anullsrc=duration=3 {{out_1}}", true)]
    [InlineData("-f lavfi -i anullsrc=stereo:44100:1024:3 {{out_1}}", true)]
    [InlineData("-f lavfi -i testsrc=64x64:25:2 {{out_1}}", true)]
    [InlineData("-f lavfi -i mptestsrc {{out_1}}", false)]
    [InlineData("-f lavfi -i mptestsrc=d=2 {{out_1}}", true)]
    [InlineData("-f lavfi -i mptestsrc=25:2 {{out_1}}", true)]
    [InlineData("-f lavfi -i sine=d=0 {{out_1}}", false)]
    [InlineData("-f lavfi -i anoisesrc=d=0 {{out_1}}", false)]
    [InlineData("-f lavfi -i color=d=0 {{out_1}}", true)]
    [InlineData("-stream_loop 100 -i {{in_v}} {{out_1}}", true)]
    [InlineData("-stream_loop 101 -i {{in_v}} {{out_1}}", false)]
    [InlineData("-stream_loop 99999999999999999999 -i {{in_v}} {{out_1}}", false)]
    [InlineData("-stream_loop 1000000 -i {{in_v}} -t 10 {{out_1}}", true)]
    [InlineData("-stream_loop 1000000 -t 10 -i {{in_v}} {{out_1}}", true)]
    [InlineData("-i {{in_v}} -vf loop=loop=-1:size=10 {{out_1}}", false)]
    [InlineData("-i {{in_v}} -vf loop=-1:10 -t 5 {{out_1}}", true)]
    [InlineData("-i {{in_v}} -af aloop=loop=1000:size=44100 {{out_1}}", false)]
    [InlineData("-f lavfi -i \"movie={{in_v}}:loop=1000\" {{out_1}}", false)]
    [InlineData("-f lavfi -i testsrc -t 2 {{out_1}} {{out_2}}", false)]
    [InlineData("-f lavfi -i testsrc -t 2 {{out_1}} -t 2 {{out_2}}", true)]
    [InlineData("-f lavfi -i testsrc -t 2 -i {{in_v}} {{out_1}}", false)]
    [InlineData("-f lavfi -i sierpinski,trim=end=2 {{out_1}}", true)]
    [InlineData("-f lavfi -i sierpinski,trim=start=2 {{out_1}}", false)]
    [InlineData("-f lavfi -i anullsrc -i {{in_v}} -shortest {{out_1}}", true)]
    [InlineData("-f lavfi -i anullsrc -shortest {{out_1}}", false)]
    [InlineData("-stream_loop -1 -i {{in_v}} -t 30 {{out_1}}", true)]
    [InlineData("-stream_loop 3 -i {{in_v}} {{out_1}}", true)]
    [InlineData("-i {{in_v}} -loop 0 {{out_gif}}", true)]
    [InlineData("-f lavfi -i \"movie={{in_v}}:loop=0\" -t 10 {{out_1}}", true)]
    [InlineData("-f lavfi -i \"movie={{in_v}}:loop=2\" {{out_1}}", true)]
    public void Evaluate_RequiresABoundForEndlessSources(string command, bool allowed) =>
        Assert.Equal(allowed, CommandPolicy.Evaluate(CommandTokenizer.Tokenize(command)).Count == 0);

    [Theory]
    [InlineData("-c:v", "libx264")]
    [InlineData("-b:a:0", "128k")]
    [InlineData("-metadata:s:v:0", "title=x")]
    [InlineData("-filter:v", "scale=2:2")]
    [InlineData("-frames:v", "1")]
    [InlineData("-q:v", "2")]
    [InlineData("-profile:v", "high")]
    [InlineData("-tag:v", "hvc1")]
    [InlineData("-bsf:v", "h264_mp4toannexb")]
    [InlineData("-disposition:a:0", "default")]
    [InlineData("-map_metadata", "-1")]
    [InlineData("-itsoffset", "-0.5")]
    [InlineData("-strict", "-2")]
    public void Evaluate_StripsStreamSpecifiersAndTakesValuesStartingWithADash(string option, string value) =>
        Assert.Empty(CommandPolicy.Evaluate(["-i", "{{in_1}}", option, value, "{{out_1}}"]));

    [Theory]
    [InlineData("{{in_1}}", null)]
    [InlineData("{{ in_1 }}", null)]
    [InlineData("intermediate.mp4", null)]
    [InlineData("frame_%04d.png", null)]
    [InlineData("{{out_1}}.part", null)]
    [InlineData("", "empty")]
    [InlineData("-", "standard")]
    [InlineData("a/b.mp4", null)]
    [InlineData("stream_%v/seg_%03d.ts", null)]
    [InlineData("./a.mp4", null)]
    [InlineData("a..b.mp4", null)]
    [InlineData("my..clip.mp4", null)]
    [InlineData("-x.mp4", null)]
    [InlineData("a\\b.mp4", "'\\'")]
    [InlineData("/a.mp4", "absolute")]
    [InlineData("a//b.mp4", "empty")]
    [InlineData("a/", "empty")]
    [InlineData("..", "parent")]
    [InlineData("a/../b", "parent")]
    [InlineData("file:x", "protocol")]
    [InlineData("x:", "protocol")]
    [InlineData("SUBFILE,,start,0,,:x", "protocol")]
    [InlineData("a\tb", "control")]
    public void FileNameProblem_AllowsOnlyPlaceholdersAndPlainNames(string value, string? problem)
    {
        var reason = CommandPolicy.FileNameProblem(value);
        if (problem is null)
        {
            Assert.Null(reason);
        }
        else
        {
            Assert.NotNull(reason);
            Assert.Contains(problem, reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("8192x8192", true)]
    [InlineData("3840x2160", true)]
    [InlineData("hd1080", true)]
    [InlineData("8193x8192", false)]
    [InlineData("32769x1", false)]
    [InlineData("99999999999999999999x1", false)]
    public void SizeProblem_CapsTheFrameArea(string size, bool allowed) =>
        Assert.Equal(allowed, CommandPolicy.SizeProblem(size) is null);
}
