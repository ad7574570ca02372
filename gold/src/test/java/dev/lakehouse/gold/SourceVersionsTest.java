package dev.lakehouse.gold;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.spec.TableName;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The note a gold commit carries: what it was computed from, read back as written. */
class SourceVersionsTest {
  private static final Map<TableName, SourceVersions.Entry> READ = Map.of(
      TableName.parse("silver.orders"), new SourceVersions.Entry(new TableVersion("7"), "c7"));

  @Test
  void aNoteReadsBackAsWrittenWithItsTimeZone() {
    SourceVersions written = new SourceVersions("abc", Optional.of("America/New_York"), READ);
    assertThat(written.encode()).isEqualTo("gold/1 spec=abc tz=America/New_York silver.orders=7@c7");
    assertThat(SourceVersions.decode(written.encode())).contains(written);
  }

  @Test
  void aNoteOfAnEarlierVersionHasNoTimeZoneAndRestartsTheRefreshOnce() {
    Optional<SourceVersions> old = SourceVersions.decode("gold/1 spec=abc silver.orders=7@c7");
    assertThat(old).contains(new SourceVersions("abc", Optional.empty(), READ));

    SourceVersions now = new SourceVersions("abc", Optional.of("UTC"), READ);
    assertThat(SourceVersions.restart(old, now, null, List.of())).hasValueSatisfying(r -> {
      assertThat(r.reason()).contains("spark.sql.session.timeZone", "is UTC", "was not recorded");
      assertThat(r.unexpected()).isFalse();
    });
    assertThat(SourceVersions.restart(Optional.of(now), now, null, List.of())).isEmpty();
  }

  @Test
  void aChangedTimeZoneIsOtherData() {
    SourceVersions utc = new SourceVersions("abc", Optional.of("UTC"), READ);
    SourceVersions tokyo = new SourceVersions("abc", Optional.of("Asia/Tokyo"), READ);
    assertThat(utc.sameDataAs(tokyo, null, List.of())).isFalse();
    assertThat(SourceVersions.restart(Optional.of(utc), tokyo, null, List.of()))
        .hasValueSatisfying(r -> assertThat(r.reason()).contains("is Asia/Tokyo and was UTC"));
  }
}
