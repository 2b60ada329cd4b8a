using Rendition.Core.Storage;

namespace Rendition.Data.Tests;

/// <summary>The list grouping both stores share (the row readers run in every store contract test).</summary>
public sealed class StoreRowsTests
{
    private static CommandRecord Command() => new() { Id = Guid.NewGuid() };

    private static FileRecord File(CommandRecord c, string name) => new() { Id = Guid.NewGuid(), CommandId = c.Id, Filename = name };

    [Fact]
    public void WithFiles_KeepsTheCommandsOrder_AndEachCommandsFilesInReadOrder()
    {
        CommandRecord a = Command(), b = Command(), none = Command();
        var files = new[] { File(b, "b1"), File(a, "a1"), File(b, "b2"), File(a, "a2") };

        var grouped = StoreRows.WithFiles([a, none, b], files);

        Assert.Equal([a.Id, none.Id, b.Id], grouped.Select(g => g.Command.Id));
        Assert.Equal(["a1", "a2"], grouped[0].Files.Select(f => f.Filename));
        Assert.Empty(grouped[1].Files);
        Assert.Equal(["b1", "b2"], grouped[2].Files.Select(f => f.Filename));
    }

    [Fact]
    public void Qualified_PrefixesEveryColumn() =>
        Assert.Equal("f.id, f.name, f.created_at", StoreColumns.Qualified(StoreColumns.Account, "f"));
}
