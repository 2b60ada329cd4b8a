using System.Text;
using Rendition.Core.Contracts;

namespace Rendition.Core.Tests;

public class JsonTextTests
{
    [Theory]
    [InlineData("""{"ffmpeg_command":"-i a\u0000b"}""", "ffmpeg_command")]
    [InlineData("""{"input_files":{"in_1":"https://x/a.mp4","in_2":"https://x/\u0000.mp4"}}""", "input_files.in_2")]
    [InlineData("""{"ffmpeg_commands":["-i a","-i b","x\u0000"]}""", "ffmpeg_commands[2]")]
    [InlineData("""{"a":[{"b":1},{"c":[true,null,"\u0000"]}]}""", "a[1].c[2]")]
    [InlineData("""{"output_files":{"out_\u0000":"a.mp4"}}""", "output_files.out_\\u0000")]
    [InlineData("""{"nested":{"deep":{}},"after":"\u0000"}""", "after")]
    [InlineData("""["\u0000"]""", "[0]")]
    [InlineData("\"\\u0000\"", "body")]
    public void FieldWithNul_NamesTheField(string json, string field) =>
        Assert.Equal(field, JsonText.FieldWithNul(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("""{"ffmpeg_command":"-i a -c copy b.mp4"}""")]
    [InlineData("""{"ffmpeg_command":"literal \\u0000 with an escaped backslash"}""")]
    [InlineData("""{"x":"\u0001\u001f"}""")]
    [InlineData("""{"broken":"\u0000""")]
    [InlineData("")]
    public void FieldWithNul_IsNullWithoutANul(string json) =>
        Assert.Null(JsonText.FieldWithNul(Encoding.UTF8.GetBytes(json)));
}
