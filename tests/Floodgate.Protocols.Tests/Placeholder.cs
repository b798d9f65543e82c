namespace Floodgate.Protocols.Tests;
