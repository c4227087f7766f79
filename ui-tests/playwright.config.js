/**
 * Galata on Debian's chromium: Playwright cannot download its own browsers here.
 */
const { execSync } = require('child_process');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

function chromiumPath() {
  if (process.env.CHROMIUM_PATH) {
    return process.env.CHROMIUM_PATH;
  }
  return execSync('command -v chromium', { shell: '/bin/bash' })
    .toString()
    .trim();
}

const token = process.env.JUPYTER_TOKEN || 'galata-token';

module.exports = {
  ...baseConfig,
  retries: 0,
  workers: 1,
  use: {
    ...baseConfig.use,
    // Video and trace need Playwright's own ffmpeg download.
    video: 'off',
    trace: 'off',
    extraHTTPHeaders: { Authorization: `token ${token}` },
    launchOptions: {
      executablePath: chromiumPath(),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: 'bash ./start-demo.sh',
    url: 'http://localhost:8888/api/status?token=' + token,
    timeout: 180 * 1000,
    reuseExistingServer: !process.env.CI,
    env: { ...process.env, JUPYTER_TOKEN: token }
  }
};
