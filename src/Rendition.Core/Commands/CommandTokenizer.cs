using System.Text;

namespace Rendition.Core.Commands;

/// <summary>Splits a command string into argv with POSIX-shell quoting rules, without ever invoking a shell.</summary>
public static class CommandTokenizer
{
    /// <summary>Tokenises <paramref name="command"/>; throws <see cref="FormatException"/> on an unterminated quote or trailing backslash.</summary>
    public static List<string> Tokenize(string command)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        var inToken = false;
        var i = 0;
        while (i < command.Length)
        {
            var c = command[i];
            if (char.IsWhiteSpace(c))
            {
                if (inToken)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                    inToken = false;
                }
                i++;
                continue;
            }

            var wasInToken = inToken;
            inToken = true;
            switch (c)
            {
                case '\'':
                    {
                        var end = command.IndexOf('\'', i + 1);
                        if (end < 0)
                        {
                            throw new FormatException("unterminated single quote");
                        }
                        current.Append(command, i + 1, end - i - 1);
                        i = end + 1;
                        break;
                    }
                case '"':
                    i++;
                    while (true)
                    {
                        if (i >= command.Length)
                        {
                            throw new FormatException("unterminated double quote");
                        }
                        var d = command[i];
                        if (d == '"')
                        {
                            i++;
                            break;
                        }
                        // Inside double quotes a backslash only escapes the characters a shell would treat specially.
                        if (d == '\\' && i + 1 < command.Length && command[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            current.Append(command[i + 1]);
                            i += 2;
                            continue;
                        }
                        if (d == '\\' && i + 1 < command.Length && command[i + 1] == '\n')
                        {
                            i += 2;
                            continue;
                        }
                        current.Append(d);
                        i++;
                    }
                    break;
                case '\\':
                    if (i + 1 >= command.Length)
                    {
                        throw new FormatException("trailing backslash");
                    }
                    if (command[i + 1] != '\n')
                    {
                        current.Append(command[i + 1]);
                    }
                    else
                    {
                        // A line continuation joins lines; it starts no word of its own.
                        inToken = wasInToken;
                    }
                    i += 2;
                    break;
                default:
                    current.Append(c);
                    i++;
                    break;
            }
        }

        if (inToken)
        {
            tokens.Add(current.ToString());
        }
        return tokens;
    }
}
